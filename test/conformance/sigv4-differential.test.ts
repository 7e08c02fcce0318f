/**
 * Differential test against the real botocore (`SigV4Auth`), through the suite's oracle
 * `tools/botocore_sign.py`: random requests, seeded (DIFF_SEED to replay, DIFF_COUNT for
 * more), every one compared on canonical request, string to sign and signature.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SIGNER_IMPLEMENTATIONS } from '../support/signers.js';
import { findPython, requireOrSkip, runPythonJson } from '../support/python.js';
import { SUITE_DIR, toSignArgs, type OracleRequest } from '../support/suite.js';

interface OracleResult { canonical_request: string; string_to_sign: string; signature: string; botocore_version: string; error?: string }

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed: number) {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const repeat = (n: number, f: () => string) => Array.from({ length: n }, f).join('');

  // What ids, index names and query values hold in practice, plus what breaks naive signers.
  const pathAtoms = [
    'a', 'Z', '9', '-', '_', '.', '~', 'logs-2024.01', '_doc', '_search', '_bulk', 'my index',
    '%2F', '%20', '%25', '%2B', '%3A', '%23', '%3F', '%C3%A9', '%E2%82%AC', '%F0%9F%98%80',
    '+', ':', '*', ',', '@', '!', '$', '&', "'", '(', ')', ';', '=', 'é', 'ሴ', '日本', '😀', ' ',
  ] as const;
  const queryAtoms = [
    'a', 'B', '7', '-', '_', '.', '~', 'title', 'q', '%3A', '%20', '%2B', '%26', '%3D', '%2F', '%25',
    '+', ':', '*', '"', "'", '(', ')', ',', '/', '?', '@', '!', '$', ';', 'é', 'ሴ', '😀', ' ',
    '%C3%A9', '%E1%88%B4', '%zz', '%4', '%FF', '%C3', '%e2%82%ac',
  ] as const;
  const headerNames = ['X-Custom', 'x-opaque-id', 'Content-Type', 'X-Amz-Meta-Tag', 'Accept', 'X-Forwarded-For', 'If-Match'] as const;
  const headerValueAtoms = ['v', 'a b', '  ', ' ', '\t', 'application/json', 'x,y', '"q"', '  lead', 'trail  ', 'é', ';', '='] as const;
  const hosts = [
    'search-logs-abc.eu-west-1.es.amazonaws.com', 'vpc-x.us-gov-west-1.es.amazonaws.com', 'abc123.us-east-1.aoss.amazonaws.com',
    'api.execute-api.ap-southeast-2.amazonaws.com', 'Search-Mixed.EU-WEST-1.es.amazonaws.com', 'localhost:9200', '127.0.0.1:8443',
    'search-x.aos.eu-central-1.on.aws', 'host.example.com:443', 'host.example.com:80',
  ] as const;

  const segment = () => repeat(1 + int(4), () => pick(pathAtoms));
  const path = () => {
    const parts: string[] = [];
    const n = int(5);
    for (let i = 0; i < n; i++) {
      const r = rnd();
      parts.push(r < 0.08 ? '.' : r < 0.16 ? '..' : r < 0.22 ? '' : segment());
    }
    return '/' + parts.join('/') + (chance(0.2) ? '/' : '');
  };
  const queryPart = () => repeat(int(4), () => pick(queryAtoms));
  const query = () => {
    if (chance(0.3)) return '';
    const keys = Array.from({ length: 1 + int(3) }, queryPart);
    const pairs: string[] = [];
    for (let i = 0, n = 1 + int(5); i < n; i++) {
      const key = chance(0.3) ? pick(keys) : queryPart();
      const r = rnd();
      pairs.push(r < 0.15 ? key : r < 0.3 ? `${key}=` : `${key}=${queryPart()}${chance(0.1) ? '=' + queryPart() : ''}`);
    }
    if (chance(0.1)) pairs.push('');
    return '?' + pairs.join('&');
  };
  const body = (): Buffer => {
    const r = rnd();
    if (r < 0.35) return Buffer.alloc(0);
    if (r < 0.6) return Buffer.from(JSON.stringify({ query: { match: { title: repeat(int(20), () => pick(['é', 'a', ' ', '"', '😀'])) } } }));
    if (r < 0.85) {
      const lines: string[] = [];
      for (let i = 0, n = 1 + int(6); i < n; i++) {
        lines.push(JSON.stringify({ index: { _index: 'logs', _id: `id-${i}/${pick(pathAtoms)}` } }));
        lines.push(JSON.stringify({ msg: repeat(int(30), () => pick(['x', 'ü', ' ', '\\', '\n'])), n: i }));
      }
      return Buffer.from(lines.join('\n') + '\n');
    }
    return Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256)));
  };

  return function next(i: number): { request: OracleRequest; bodyAsString: boolean } {
    const host = pick(hosts);
    const service = host.includes('aoss') ? 'aoss' : host.includes('execute-api') ? 'execute-api' : chance(0.8) ? 'es' : pick(['aoss', 'execute-api']);
    const headers: Array<[string, string]> = [];
    if (chance(0.5)) headers.push(['Host', host.toLowerCase().replace(/:(443)$/, '')]);
    for (let h = 0, n = int(4); h < n; h++) {
      const name = pick(headerNames);
      const value = repeat(1 + int(4), () => pick(headerValueAtoms));
      headers.push([name, value]);
      if (chance(0.25)) headers.push([name, repeat(1 + int(3), () => pick(headerValueAtoms))]);
    }
    if (chance(0.2)) headers.push(['User-Agent', 'opensearch-js/3.0 (linux)']);
    // botocore signs a rewritten Date instead of adding X-Amz-Date when one is present.
    if (chance(0.05)) headers.push(['Date', 'Mon, 01 Jan 2001 00:00:00 GMT']);
    const b = body();
    const text = b.toString('utf8');
    const bodyAsString = Buffer.from(text, 'utf8').equals(b) && chance(0.5);
    const scheme = host.endsWith(':80') ? 'http' : 'https';
    return {
      bodyAsString,
      request: {
        method: pick(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'post']),
        url: `${scheme}://${host}${path()}${query()}`,
        headers,
        body_base64: b.toString('base64'),
        access_key: pick(['AKIDEXAMPLE', 'ASIAXAMPLE0000000001']),
        secret_key: pick(['wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', `secret+/${i}==`]),
        session_token: chance(0.4) ? `IQoJb3JpZ2luX2VjE+/token${i}==` : null,
        region: pick(['us-east-1', 'eu-west-1', 'us-gov-west-1', 'cn-north-1']),
        service,
        amz_date: new Date(Date.UTC(2015 + int(12), int(12), 1 + int(28), int(24), int(60), int(60))).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        options: { content_sha256_header: service === 'aoss' || chance(0.1) },
      },
    };
  };
}

describe('differential: signRequest (node:crypto and WebCrypto) vs botocore SigV4Auth', function () {
  const seed = process.env.DIFF_SEED ? Number(process.env.DIFF_SEED) : Math.floor(Math.random() * 2 ** 31);
  const count = process.env.DIFF_COUNT ? Number(process.env.DIFF_COUNT) : 600;

  it(`${count} random requests sign identically, through each crypto (seed ${seed})`, async function () {
    const python = findPython(['botocore']);
    requireOrSkip(this, 'Python with botocore (pip install botocore)', python);
    const next = generator(seed);
    const cases = Array.from({ length: count }, (_, i) => next(i));
    const results = runPythonJson<OracleResult[]>(python!, join(SUITE_DIR, 'tools', 'botocore_sign.py'), cases.map((c) => c.request));
    const failures: string[] = [];
    for (const impl of SIGNER_IMPLEMENTATIONS) {
      let differences = 0;
      let refused = 0;
      const first: string[] = [];
      for (const [i, { request, bodyAsString }] of cases.entries()) {
        const { request: req, options } = toSignArgs(request);
        if (bodyAsString && req.body) (req as { body?: string | Buffer }).body = req.body.toString('utf8');
        // A non-ASCII header value: botocore signs its UTF-8 and http.client sends it as Latin-1
        // (as node:http and fetch do), a mismatch AWS refuses; ours refuses it before signing.
        if ((request.headers ?? []).some(([, value]) => /[^\x00-\x7f]/.test(value))) {
          await assert.rejects(async () => impl.sign(req, options), (e: unknown) => (e as { code?: string }).code === 'ERR_INVALID_HEADERS', `${impl.name} #${i}`);
          refused++;
          continue;
        }
        const ours = await impl.sign(req, options);
        const theirs = results[i]!;
        if (ours.canonicalRequest !== theirs.canonical_request || ours.stringToSign !== theirs.string_to_sign || ours.signature !== theirs.signature) {
          differences++;
          if (first.length < 3) {
            first.push(`${impl.name} #${i} ${request.method} ${request.url}\n--- botocore\n${theirs.canonical_request}\n--- ours\n${ours.canonicalRequest}`);
          }
        }
      }
      console.log(`    seed ${seed}: ${count} requests, ${differences} differences, ${refused} refused for a non-ASCII header value${impl.suffix} (botocore ${results[0]?.botocore_version}); replay: DIFF_SEED=${seed} npx mocha test/conformance/sigv4-differential.test.ts`);
      failures.push(...first);
    }
    assert.deepEqual(failures, [], failures.join('\n\n'));
  });
});
