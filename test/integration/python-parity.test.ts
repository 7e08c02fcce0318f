/**
 * Migration from Python, proven: the same requests (index, bulk, searches with query
 * strings, ids with reserved and non-ASCII characters) signed by each Python signer our
 * users come from, and by ours, all sent through the verifying stub to real OpenSearch.
 *
 * The Python side (test/support/python_signers.py) drives the real clients
 * (elasticsearch-py 7.13, opensearch-py) with the real auth objects and sends for real, so
 * paths and query strings are exactly what those clients build. The stub's verdict per
 * request makes the parity table. Ours must be accepted everywhere; the Python outcomes
 * are pinned in EXPECTED so that a change (a signer fixed, the stub or a client changed)
 * shows up here, and docs/migrating-from-python.md explains each refusal.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import { signRequest } from '../../src/index.js';
import type { VerifiedRequestRecord } from '../../src/testing/index.js';
import { findPython, requireOrSkip } from '../support/python.js';
import { useSignedStack } from '../support/stack.js';

const INDEX = 'py-parity';
/** Temporary credentials, so every signer has to carry a session token too. Test-only values. */
const CREDENTIALS = {
  accessKeyId: 'ASIAPYPARITY00000001',
  secretAccessKey: 'parity/Secret+0123456789abcdefghijklmnopq',
  sessionToken: 'FwoGZXIvYXdzEParityTOKEN//////////wEaDPyParity0123456789+abc=',
};

interface Case {
  name: string;
  op: 'index' | 'bulk' | 'search' | 'get';
  /** Keyword arguments of the Python client method, and the params of the JS client's. */
  kwargs: Record<string, unknown>;
}

const BULK = `{"index":{"_index":"${INDEX}","_id":"b1"}}\n{"title":"bulk one"}\n{"index":{"_index":"${INDEX}","_id":"b2"}}\n{"title":"bulk two"}\n`;
const doc = { title: 'foo bar', n: 1 };

const CASES: Case[] = [
  { name: 'index doc', op: 'index', kwargs: { index: INDEX, id: '1', body: doc, refresh: 'true' } },
  { name: 'bulk', op: 'bulk', kwargs: { body: BULK } },
  { name: 'search q=title:foo', op: 'search', kwargs: { index: INDEX, q: 'title:foo' } },
  { name: 'search q=title:"foo bar" +x', op: 'search', kwargs: { index: INDEX, q: 'title:"foo bar" +x' } },
  { name: 'search body, size=5', op: 'search', kwargs: { index: INDEX, body: { query: { match: { title: 'foo bar' } } }, size: 5 } },
  { name: 'id a/b c', op: 'index', kwargs: { index: INDEX, id: 'a/b c', body: doc } },
  { name: 'id é', op: 'index', kwargs: { index: INDEX, id: 'é', body: doc } },
  { name: 'id %', op: 'index', kwargs: { index: INDEX, id: '%', body: doc } },
  { name: 'id +', op: 'index', kwargs: { index: INDEX, id: '+', body: doc } },
  { name: 'id :', op: 'index', kwargs: { index: INDEX, id: ':', body: doc } },
  { name: 'id *', op: 'index', kwargs: { index: INDEX, id: '*', body: doc } },
  { name: 'id ,', op: 'index', kwargs: { index: INDEX, id: ',', body: doc } },
  { name: 'get a/b c', op: 'get', kwargs: { index: INDEX, id: 'a/b c' } },
  { name: 'unicode body', op: 'index', kwargs: { index: INDEX, id: 'u', body: { title: 'café ✓ 日本 😀' } } },
];

interface PythonSigner {
  label: string;
  /** The name python_signers.py knows. */
  signer: string;
  dropUnsignedContentSha256?: boolean;
}

const PYTHON_SIGNERS: PythonSigner[] = [
  { label: 'AWSRequestsAuth + elasticsearch-py 7.13', signer: 'AWSRequestsAuth+elasticsearch7' },
  { label: 'AWSRequestsAuth, its unsigned x-amz-content-sha256 removed', signer: 'AWSRequestsAuth+elasticsearch7', dropUnsignedContentSha256: true },
  { label: 'BotoAWSRequestsAuth + opensearch-py', signer: 'BotoAWSRequestsAuth+opensearch-py' },
  { label: 'AWS4Auth (requests-aws4auth) + elasticsearch-py 7.13', signer: 'AWS4Auth+elasticsearch7' },
  { label: 'AWS4Auth (requests-aws4auth) + opensearch-py', signer: 'AWS4Auth+opensearch-py' },
  { label: 'AWSV4SignerAuth + opensearch-py RequestsHttpConnection', signer: 'AWSV4SignerAuth+opensearch-py' },
  { label: 'Urllib3AWSV4SignerAuth + opensearch-py Urllib3HttpConnection', signer: 'Urllib3AWSV4SignerAuth+opensearch-py' },
];
const OURS_SAME_BYTES = 'ours: signRequest on the bytes opensearch-py sends';
const OURS_CLIENT = 'ours: opensearch-js + AwsSigV4Connection';

// What the stub answered, per signer and case, when this test was written: 'accepted' or
// the stub's verdict. Anything not listed must be accepted. A change here is a finding:
// update docs/migrating-from-python.md with it.
const PLUS_IN_QUERY = 'search q=title:"foo bar" +x';
const ALL_UNSIGNED_HEADER = Object.fromEntries(CASES.map((c) => [c.name, 'unsigned-header']));
const EXPECTED: Record<string, Record<string, string>> = {
  'AWSRequestsAuth + elasticsearch-py 7.13': ALL_UNSIGNED_HEADER,
  'AWSRequestsAuth, its unsigned x-amz-content-sha256 removed': { [PLUS_IN_QUERY]: 'signature-mismatch' },
  'BotoAWSRequestsAuth + opensearch-py': ALL_UNSIGNED_HEADER,
  'AWS4Auth (requests-aws4auth) + elasticsearch-py 7.13': { [PLUS_IN_QUERY]: 'signature-mismatch' },
  'AWS4Auth (requests-aws4auth) + opensearch-py': { [PLUS_IN_QUERY]: 'signature-mismatch' },
  'AWSV4SignerAuth + opensearch-py RequestsHttpConnection': { [PLUS_IN_QUERY]: 'signature-mismatch' },
  'Urllib3AWSV4SignerAuth + opensearch-py Urllib3HttpConnection': { [PLUS_IN_QUERY]: 'signature-mismatch' },
  [OURS_SAME_BYTES]: {},
  [OURS_CLIENT]: {},
};

interface PythonResult {
  case: string;
  status: number;
  error?: string;
  method?: string;
  path?: string;
  signedHeaders?: string;
  sentHeaders?: string[];
  contentType?: string;
  bodyBase64?: string;
}

interface Cell {
  verdict: string;
  status: number;
  wire?: string;
}

const PYTHON_MODULES = ['requests', 'botocore', 'aws_requests_auth', 'requests_aws4auth', 'opensearchpy', 'elasticsearch'];
const SCRIPT = join(__dirname, '..', 'support', 'python_signers.py');

/** Async on purpose: the stub runs in this process and must answer while Python waits. */
function runPython(python: string, input: unknown): Promise<{ results: PythonResult[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT], {
      env: {
        PATH: process.env.PATH ?? '',
        // BotoAWSRequestsAuth reads botocore's default chain: these variables, nothing else.
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
        NO_PROXY: '*',
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python_signers.py exited ${code}: ${err.slice(-3000)}`));
      try {
        resolve(JSON.parse(out) as { results: PythonResult[] });
      } catch (error) {
        reject(new Error(`python_signers.py printed no JSON: ${out.slice(0, 500)} ${err.slice(-1000)}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

function sendRaw(url: URL, method: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: url.hostname, port: url.port, method, path: `${url.pathname}${url.search}`, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body.length > 0 ? body : undefined);
  });
}

describe('Python migration parity: Python signers and ours, same requests, verifying stub -> OpenSearch 3', function () {
  this.timeout(180_000);
  const stack = useSignedStack({ server: 'opensearch@3', service: 'es', stub: { credentials: [{ ...CREDENTIALS }] } });
  const table = new Map<string, Map<string, Cell>>();
  let python: string | undefined;
  /** What opensearch-py with AWSV4SignerAuth sent, replayed with our signer. */
  let sameBytes: PythonResult[] = [];

  /** The stub records made while `run` ran. */
  async function recorded<T>(run: () => Promise<T>): Promise<{ result: T; records: VerifiedRequestRecord[] }> {
    const proxy = stack().proxy;
    const from = proxy.records.length;
    const result = await run();
    return { result, records: proxy.records.slice(from) };
  }

  before(async function () {
    python = findPython(PYTHON_MODULES);
    requireOrSkip(this, `a Python with ${PYTHON_MODULES.join(', ')} (test/requirements.txt)`, python);
    const { stubUrl, region, service } = stack();

    for (const s of PYTHON_SIGNERS) {
      const { result, records } = await recorded(() => runPython(python!, {
        signer: s.signer, dropUnsignedContentSha256: s.dropUnsignedContentSha256,
        url: stubUrl, region, service, credentials: CREDENTIALS, cases: CASES,
      }));
      // One request per case (max_retries=0, no sniffing): the records line up with the cases.
      assert.equal(records.length, CASES.length, `${s.label}: ${records.length} requests reached the stub for ${CASES.length} cases`);
      const row = new Map<string, Cell>();
      result.results.forEach((r, i) => row.set(r.case, { verdict: records[i]!.verdict, status: records[i]!.status, wire: `${r.method} ${r.path}` }));
      table.set(s.label, row);
      if (s.signer === 'AWSV4SignerAuth+opensearch-py') sameBytes = result.results;
    }

    // Ours on exactly the request opensearch-py built: method, path and query, body, content type.
    const base = new URL(stubUrl);
    const ours = new Map<string, Cell>();
    for (const r of sameBytes) {
      const body = Buffer.from(r.bodyBase64 ?? '', 'base64');
      const headers: Record<string, string> = {};
      if (r.contentType) headers['content-type'] = r.contentType;
      if (body.length > 0 || r.method !== 'GET') headers['content-length'] = String(body.length);
      const url = new URL(r.path!, base);
      const signed = signRequest({ method: r.method!, url: `${base.origin}${r.path}`, headers, body }, { region, service, credentials: CREDENTIALS });
      const { records } = await recorded(() => sendRaw(url, r.method!, signed.headers, body));
      ours.set(r.case, { verdict: records[0]!.verdict, status: records[0]!.status, wire: `${r.method} ${r.path}` });
    }
    table.set(OURS_SAME_BYTES, ours);

    // Ours through the client users migrate to, doing the same operations.
    const client = new Client({ node: stubUrl, Connection: AwsSigV4Connection.configure({ region, service, credentials: CREDENTIALS }) });
    const viaClient = new Map<string, Cell>();
    try {
      for (const c of CASES) {
        const api = client as unknown as Record<string, (params: Record<string, unknown>) => Promise<unknown>>;
        const { records } = await recorded(() => api[c.op]!.call(client, { ...c.kwargs }).catch((error: unknown) => error));
        assert.equal(records.length, 1, `${c.name}: ${records.length} requests`);
        viaClient.set(c.name, { verdict: records[0]!.verdict, status: records[0]!.status, wire: `${records[0]!.method} ${records[0]!.path}` });
      }
    } finally {
      await client.close();
    }
    table.set(OURS_CLIENT, viaClient);

    printTable();
  });

  function printTable(): void {
    const labels = [...table.keys()];
    const lines = [
      '',
      '      Parity table (stub verdict; "ok" = accepted and answered 2xx by OpenSearch):',
      ...labels.map((label, i) => `        S${i + 1} = ${label}`),
      `        | case | ${labels.map((_, i) => `S${i + 1}`).join(' | ')} |`,
      `        | --- | ${labels.map(() => '---').join(' | ')} |`,
      ...CASES.map((c) => `        | ${c.name} | ${labels.map((l) => cellText(table.get(l)!.get(c.name))).join(' | ')} |`),
      '',
    ];
    console.log(lines.join('\n'));
  }

  function cellText(cell: Cell | undefined): string {
    if (cell === undefined) return '?';
    if (cell.verdict === 'accepted') return cell.status >= 200 && cell.status < 300 ? 'ok' : `accepted (${cell.status})`;
    return cell.verdict;
  }

  for (const label of [...PYTHON_SIGNERS.map((s) => s.label), OURS_SAME_BYTES, OURS_CLIENT]) {
    it(`${label}: outcomes as recorded`, function () {
      const row = table.get(label);
      assert.ok(row, `no results for ${label}`);
      const expected = EXPECTED[label]!;
      const actual: Record<string, string> = {};
      const wanted: Record<string, string> = {};
      for (const c of CASES) {
        actual[c.name] = row.get(c.name)?.verdict ?? 'missing';
        wanted[c.name] = expected[c.name] ?? 'accepted';
      }
      assert.deepEqual(actual, wanted);
    });
  }

  it('ours: every request accepted by the stub and answered 2xx by OpenSearch', function () {
    for (const label of [OURS_SAME_BYTES, OURS_CLIENT]) {
      for (const c of CASES) {
        const cell = table.get(label)!.get(c.name)!;
        assert.equal(cell.verdict, 'accepted', `${label} / ${c.name}: ${cell.verdict} (${cell.wire})`);
        assert.ok(cell.status >= 200 && cell.status < 300, `${label} / ${c.name}: OpenSearch answered ${cell.status} (${cell.wire})`);
      }
    }
  });

  it('the requests the stub accepted from Python reached OpenSearch and succeeded', function () {
    for (const s of PYTHON_SIGNERS) {
      for (const c of CASES) {
        const cell = table.get(s.label)!.get(c.name)!;
        if (cell.verdict === 'accepted') assert.ok(cell.status >= 200 && cell.status < 300, `${s.label} / ${c.name}: ${cell.status} (${cell.wire})`);
      }
    }
  });

  it('the Python clients built the wire requests the guide describes', function () {
    const row = table.get('AWSV4SignerAuth + opensearch-py RequestsHttpConnection')!;
    // The id is quoted by the client's _make_path (',' and '*' kept), the query by urlencode (space -> '+').
    assert.equal(row.get('id a/b c')!.wire, `PUT /${INDEX}/_doc/a%2Fb%20c`);
    assert.equal(row.get('id *')!.wire, `PUT /${INDEX}/_doc/*`);
    assert.equal(row.get('id ,')!.wire, `PUT /${INDEX}/_doc/,`);
    assert.match(row.get(PLUS_IN_QUERY)!.wire!, /\?q=title%3A%22foo\+bar%22\+%2Bx$/);
  });
});
