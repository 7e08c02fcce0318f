/**
 * Every contender, driven the way its users drive it, so each timed op is one real signing
 * call and nothing more: the request shapes are built once, outside the op, except where a
 * signer mutates its input (aws4 and the Connection paths write headers into it), which then
 * gets a fresh header object per op as it would in real use.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { relative, resolve } from 'node:path';
import type * as MainEntry from '../../src/index.js';
import type * as WebEntry from '../../src/web-node.js';
import type { AwsCredentialIdentity } from '../../src/sigv4.js';
import { CREDENTIALS, HOST, ORIGIN, REGION, SERVICE, type BenchRequest } from './bodies.js';
import { aliasElasticsearchForConnector } from './es-alias.js';

const requireCjs = createRequire(__filename);

// Ours is timed as users run it: the built package (tsc's CommonJS, through the package's own
// exports), not the TypeScript sources through tsx, whose esbuild-made export getters add a
// cost to every call from one module to another (measured: 1.15x on the small GET with the
// signer split into a file per spec step, 0.99x from dist). `npm run bench` builds first.
const { signRequest, RequestSigner } = requireCjs('aws-sigv4-connection') as typeof MainEntry;
const { signRequest: signRequestWeb } = requireCjs('aws-sigv4-connection/fetch') as typeof WebEntry;

/** What would go on the wire: enough for the verifier to judge the signature. */
export interface WireRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  headers: Record<string, unknown>;
  body: string | Uint8Array | undefined;
}

export interface Prepared {
  /** One signing (or hashing) call; its result is returned so the work cannot be dropped as dead code. */
  op: () => unknown;
  async: boolean;
  /**
   * Signs once more and returns the wire request (signers) or the digest (floors), for
   * checking; a floor whose digest is not the body's sha256 says what it must equal.
   */
  check: () => Promise<{ wire?: WireRequest; digest?: string; expected?: string }>;
}

export interface Contender {
  id: string;
  label: string;
  kind: 'ours' | 'signer' | 'floor';
  /** Part of the target comparisons; informational rows are timed and verified all the same. */
  primary: boolean;
  applies(req: BenchRequest): boolean;
  prepare(req: BenchRequest): Prepared;
}

type Headers = Record<string, string | number>;
const STATIC_IDENTITY: AwsCredentialIdentity = { ...CREDENTIALS };

// ---------------------------------------------------------------------------------------
// Signers

const ours: Contender = {
  id: 'ours',
  label: 'ours: signRequest',
  kind: 'ours',
  primary: true,
  applies: () => true,
  prepare(req) {
    const url = ORIGIN + req.path;
    const options = { region: REGION, service: SERVICE, credentials: STATIC_IDENTITY };
    // signRequest does not write into its input: the same request object can be reused.
    const request = { method: req.method, url, headers: req.headers, body: req.body };
    const op = () => signRequest(request, options);
    return {
      op,
      async: false,
      check: async () => ({ wire: { method: req.method, target: req.path, headers: op().headers, body: req.body } }),
    };
  },
};

/** What our Connections run per request: cached credentials, endpoint lookup, header copy, signRequest. */
const oursAdapter: Contender = {
  id: 'ours-adapter',
  label: 'ours: RequestSigner.sign (Connection path)',
  kind: 'signer',
  primary: false,
  applies: () => true,
  prepare(req) {
    const signer = new RequestSigner({ region: REGION, service: SERVICE, credentials: STATIC_IDENTITY });
    const nodeUrl = new URL(ORIGIN);
    const op = () => {
      const credentials = signer.credentials() as AwsCredentialIdentity;
      // sign() adds host to the header object it is given, as the adapters' per-request copy.
      return signer.sign({ method: req.method, nodeUrl, pathAndQuery: req.path, headers: Object.assign({}, req.headers), body: req.body, attempt: 0 }, credentials);
    };
    return {
      op,
      async: false,
      check: async () => ({ wire: { method: req.method, target: req.path, headers: op().headers, body: req.body } }),
    };
  },
};

/** The web entry's signRequest: the same composition over WebCrypto (globalThis.crypto.subtle), asynchronous. */
const oursWeb: Contender = {
  id: 'ours-web',
  label: 'ours: signRequest over WebCrypto (aws-sigv4-connection/fetch)',
  kind: 'signer',
  primary: false,
  // The WebCrypto rows compare request overhead (small GET, 1 KiB search); a bulk body is the hash alone.
  applies: (req) => req.bytes <= 64 * 1024,
  prepare(req) {
    const options = { region: REGION, service: SERVICE, credentials: STATIC_IDENTITY };
    const request = { method: req.method, url: ORIGIN + req.path, headers: req.headers, body: req.body };
    const op = () => signRequestWeb(request, options);
    return {
      op,
      async: true,
      check: async () => ({ wire: { method: req.method, target: req.path, headers: (await op()).headers, body: req.body } }),
    };
  },
};

interface Aws4FetchClient { sign(input: string, init: { method: string; headers: Record<string, string>; body?: string | Uint8Array }): Promise<Request> }
type Aws4FetchClientClass = new (options: AwsCredentialIdentity & { service: string; region: string }) => Aws4FetchClient;

/** aws4fetch, the WebCrypto signer users of Workers reach for, as they drive it: AwsClient.sign to a Request. */
const aws4fetch: Contender = {
  id: 'aws4fetch',
  label: 'aws4fetch AwsClient.sign (WebCrypto)',
  kind: 'signer',
  primary: false,
  applies: (req) => req.bytes <= 64 * 1024,
  prepare(req) {
    const { AwsClient } = requireCjs('aws4fetch') as { AwsClient: Aws4FetchClientClass };
    const client = new AwsClient({ ...STATIC_IDENTITY, service: SERVICE, region: REGION });
    const url = ORIGIN + req.path;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const op = () => client.sign(url, { method: req.method, headers, body: req.body });
    return {
      op,
      async: true,
      check: async () => {
        const signed = await op();
        // fetch sends Host from the URL (a Request cannot carry it); aws4fetch signed that value.
        const wire: Record<string, string> = { host: HOST };
        signed.headers.forEach((value, name) => { wire[name] = value; });
        return { wire: { method: req.method, target: req.path, headers: wire, body: req.body } };
      },
    };
  },
};

interface Aws4Request { host: string; method: string; path: string; service: string; region: string; headers: Headers; body?: string | Buffer }
interface Aws4 { sign(request: Aws4Request, credentials: AwsCredentialIdentity): Aws4Request }

const aws4: Contender = {
  id: 'aws4',
  label: 'aws4.sign',
  kind: 'signer',
  primary: true,
  applies: () => true,
  prepare(req) {
    const lib = requireCjs('aws4') as Aws4;
    const op = () => lib.sign(
      { host: HOST, method: req.method, path: req.path, service: SERVICE, region: REGION, headers: Object.assign({}, req.headers), body: req.body },
      STATIC_IDENTITY,
    );
    return {
      op,
      async: false,
      check: async () => {
        const signed = op();
        return { wire: { method: req.method, target: signed.path, headers: signed.headers, body: req.body } };
      },
    };
  },
};

interface SmithyRequest { method: string; protocol: string; hostname: string; path: string; query: Record<string, string>; headers: Record<string, string>; body?: string | Uint8Array }
interface SmithySigner { sign(request: SmithyRequest): Promise<SmithyRequest> }
type SmithySignerClass = new (options: { service: string; region: string; credentials: AwsCredentialIdentity; sha256: unknown }) => SmithySigner;
type HashClass = new (algorithm: string, secret?: unknown) => object;

const smithy: Contender = {
  id: 'smithy',
  label: '@smithy/signature-v4 (+hash-node)',
  kind: 'signer',
  primary: true,
  applies: () => true,
  prepare(req) {
    const { SignatureV4 } = requireCjs('@smithy/signature-v4') as { SignatureV4: SmithySignerClass };
    const { Hash } = requireCjs('@smithy/hash-node') as { Hash: HashClass };
    // The AWS SDK v3 wiring: the Hash class bound to sha256.
    class Sha256 extends Hash {
      constructor(secret?: unknown) {
        super('sha256', secret);
      }
    }
    const signer = new SignatureV4({ service: SERVICE, region: REGION, credentials: STATIC_IDENTITY, sha256: Sha256 });
    const op = () => signer.sign({
      method: req.method, protocol: 'https:', hostname: HOST, path: req.pathname, query: req.query,
      headers: Object.assign({ host: HOST }, req.headers), body: req.body,
    });
    return {
      op,
      async: true,
      check: async () => {
        const signed = await op();
        return { wire: { method: req.method, target: req.path, headers: signed.headers, body: req.body } };
      },
    };
  },
};

interface ConnectionParams { method: string; path: string; querystring?: string; headers: Headers; body?: string | Buffer }
interface BuiltRequest { path: string; headers: Headers }
interface BenchConnection { buildRequestObject(params: ConnectionParams): BuiltRequest }
type ConnectionClass = new (options: { url: URL }) => BenchConnection;

function connectionParams(req: BenchRequest): ConnectionParams {
  const q = req.path.indexOf('?');
  const params: ConnectionParams = { method: req.method, path: req.pathname, headers: req.headers };
  if (q !== -1) params.querystring = req.path.slice(q + 1);
  if (req.body !== undefined) params.body = req.body;
  return params;
}

/** A Connection's signing path as the transport calls it; buildRequestObject copies the headers itself. */
function connectionContender(Connection: ConnectionClass, req: BenchRequest, prime?: (conn: BenchConnection) => void): Prepared {
  const conn = new Connection({ url: new URL(ORIGIN) });
  prime?.(conn);
  const params = connectionParams(req);
  const op = () => conn.buildRequestObject(params);
  return {
    op,
    async: false,
    check: async () => {
      const built = op();
      return { wire: { method: req.method, target: built.path, headers: built.headers, body: req.body } };
    },
  };
}

interface OpenSearchAws {
  AwsSigv4Signer(options: { region: string; service: string; getCredentials: () => Promise<AwsCredentialIdentity> }): {
    Connection: ConnectionClass;
    buildSignedRequestObject(request: Record<string, unknown>): unknown;
  };
}

const opensearchBuiltin: Contender = {
  id: 'opensearch-aws',
  label: 'opensearch-js AwsSigv4Signer (Connection.buildRequestObject)',
  kind: 'signer',
  primary: true,
  applies: () => true,
  prepare(req) {
    const { AwsSigv4Signer } = requireCjs('@opensearch-project/opensearch/aws') as OpenSearchAws;
    const signer = AwsSigv4Signer({ region: REGION, service: SERVICE, getCredentials: async () => STATIC_IDENTITY });
    // Its Transport fetches credentials before the first request and keeps them in a closure
    // the Connection reads. Without a transport here, the same closure is filled through the
    // `auth` form that buildSignedRequestObject accepts, once, outside the timing.
    signer.buildSignedRequestObject({
      hostname: HOST, method: 'GET', path: '/', headers: {},
      auth: { credentials: STATIC_IDENTITY, region: REGION, service: SERVICE },
    });
    return connectionContender(signer.Connection, req);
  },
};

interface AwsSdkGlobal {
  Config: new (options: { region: string; credentials: unknown }) => object;
  Credentials: new (options: AwsCredentialIdentity) => object;
}

const esConnector: Contender = {
  id: 'es-connector',
  label: 'aws-elasticsearch-connector (es 7.17 Connection)',
  kind: 'signer',
  primary: true,
  applies: () => true,
  prepare(req) {
    aliasElasticsearchForConnector();
    // Its end-of-support notice would land in the middle of the tables.
    process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
    const AWS = requireCjs('aws-sdk/global') as AwsSdkGlobal;
    const createConnector = requireCjs('aws-elasticsearch-connector') as (config: object) => { Connection: ConnectionClass };
    // As its README configures it: an aws-sdk v2 Config holding resolved credentials.
    const awsConfig = new AWS.Config({ region: REGION, credentials: new AWS.Credentials({ ...STATIC_IDENTITY }) });
    return connectionContender(createConnector(awsConfig).Connection, req);
  },
};

// ---------------------------------------------------------------------------------------
// Floors: the hashing a signer cannot avoid, with nothing else

const hasBody = (req: BenchRequest): boolean => req.body !== undefined && req.bytes > 0;

function floor(op: () => string): Prepared {
  return { op, async: false, check: async () => ({ digest: op() }) };
}

/** sha256 of the body's bytes as a Buffer: for a string body, the bytes are encoded once, outside the timing. */
const floorBuffer: Contender = {
  id: 'sha256-buffer',
  label: 'floor: sha256(Buffer)',
  kind: 'floor',
  primary: true,
  applies: hasBody,
  prepare(req) {
    const bytes = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body!;
    return floor(() => createHash('sha256').update(bytes).digest('hex'));
  },
};

const floorStringNaive: Contender = {
  id: 'sha256-string',
  label: 'floor: sha256(string), one call',
  kind: 'floor',
  primary: true,
  applies: (req) => hasBody(req) && typeof req.body === 'string',
  prepare(req) {
    const text = req.body as string;
    return floor(() => createHash('sha256').update(text, 'utf8').digest('hex'));
  },
};

const SLICE = 64 * 1024;

/**
 * Written here rather than imported from src/sigv4.ts so that the floor stays the floor if
 * the signer's slicing changes.
 */
function sha256Sliced(text: string): string {
  const hash = createHash('sha256');
  const length = text.length;
  let start = 0;
  while (start < length) {
    let end = start + SLICE;
    if (end >= length) end = length;
    else {
      const c = text.charCodeAt(end - 1);
      // A high surrogate at the cut would be encoded alone (as U+FFFD): keep the pair together.
      if (c >= 0xd800 && c <= 0xdbff) end -= 1;
    }
    hash.update(text.slice(start, end), 'utf8');
    start = end;
  }
  return hash.digest('hex');
}

const floorStringSliced: Contender = {
  id: 'sha256-slices',
  label: 'floor: sha256(string), 64 Ki-char slices',
  kind: 'floor',
  primary: true,
  applies: (req) => hasBody(req) && typeof req.body === 'string',
  prepare(req) {
    const text = req.body as string;
    return floor(() => sha256Sliced(text));
  },
};

// Node >= 20.12 / 21.7: a digest without a Hash object (and its GC-tracked native handle).
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/**
 * What any SigV4 signer on Node's crypto must compute for a request, with nothing else: the
 * sha256 of the canonical request and the HMAC of the string to sign, both strings ready-made
 * (taken from our signer for the same second) and the signing key derived. Not a body hash:
 * requests without one. The gap between this and a signer is all its own work.
 */
const floorSigv4Crypto: Contender = {
  id: 'sigv4-crypto',
  label: 'floor: SigV4 crypto alone (sha256 of canonical request + HMAC)',
  kind: 'floor',
  primary: false,
  applies: (req) => req.bytes <= 64 * 1024,
  prepare(req) {
    const signed = signRequest({ method: req.method, url: ORIGIN + req.path, headers: req.headers, body: req.body },
      { region: REGION, service: SERVICE, credentials: STATIC_IDENTITY, signingDate: new Date() });
    // Flat copies: the floor should not pay for flattening the signer's concatenations.
    const canonicalRequest = Buffer.from(signed.canonicalRequest, 'utf8').toString('utf8');
    const day = signed.stringToSign.split('\n')[1]!.slice(0, 8);
    let key: Buffer = createHmac('sha256', `AWS4${STATIC_IDENTITY.secretAccessKey}`).update(day).digest();
    for (const part of [REGION, SERVICE, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    const head = signed.stringToSign.slice(0, signed.stringToSign.lastIndexOf('\n') + 1);
    const op = (): string => {
      const crHash = oneShotHash !== undefined ? oneShotHash('sha256', canonicalRequest, 'hex') : createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
      return createHmac('sha256', key).update(head + crHash, 'utf8').digest('hex');
    };
    return { op, async: false, check: async () => ({ digest: op(), expected: signed.signature }) };
  },
};

/**
 * BENCH_SIGV4_CANDIDATE=path/to/sigv4.ts: a changed copy of src/sigv4.ts timed beside ours in
 * the same run, so a proposed optimisation is judged against the same targets and noise.
 */
function candidate(path: string): Contender {
  const file = resolve(path);
  return {
    id: 'candidate',
    label: `candidate: signRequest of ${relative(process.cwd(), file)}`,
    kind: 'signer',
    primary: false,
    applies: () => true,
    prepare(req) {
      const { signRequest: sign } = requireCjs(file) as { signRequest: typeof signRequest };
      const url = ORIGIN + req.path;
      const options = { region: REGION, service: SERVICE, credentials: STATIC_IDENTITY };
      const request = { method: req.method, url, headers: req.headers, body: req.body };
      const op = () => sign(request, options);
      return {
        op,
        async: false,
        check: async () => ({ wire: { method: req.method, target: req.path, headers: op().headers, body: req.body } }),
      };
    },
  };
}

const candidatePath = process.env.BENCH_SIGV4_CANDIDATE;

export const CONTENDERS: readonly Contender[] = [
  ours, ...(candidatePath ? [candidate(candidatePath)] : []), oursAdapter, aws4, smithy, opensearchBuiltin, esConnector, oursWeb, aws4fetch,
  floorSigv4Crypto, floorBuffer, floorStringNaive, floorStringSliced,
];

/** The memory bench's control: the measurement itself, with no signing in it. */
const noop: Contender = {
  id: 'noop',
  label: 'control: no signing',
  kind: 'floor',
  primary: false,
  applies: () => true,
  prepare: () => ({ op: () => 0, async: false, check: async () => ({}) }),
};

export function contender(id: string): Contender {
  const found = [...CONTENDERS, noop].find((c) => c.id === id);
  if (found === undefined) throw new Error(`unknown contender "${id}"; known: ${CONTENDERS.map((c) => c.id).join(', ')}`);
  return found;
}
