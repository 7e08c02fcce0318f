/**
 * The requests every contender signs. Bodies are generated from a fixed seed, so every run
 * (and every memory child) signs the same bytes.
 */

export const HOST = 'search-logs-7hq2v4x5c6b7n8m9.us-east-1.es.amazonaws.com';
export const ORIGIN = `https://${HOST}`;
export const REGION = 'us-east-1';
export const SERVICE = 'es';

/**
 * Temporary credentials as an IAM role hands them out: the session token is what makes a
 * small request's canonical request long (~900 bytes), so it is always present.
 */
export const CREDENTIALS = {
  accessKeyId: 'ASIAQNZGKEXAMPLE7JQX',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken:
    'IQoJb3JpZ2luX2VjEOz////////////wEaCXVzLWVhc3QtMSJHMEUCIQDbenchbenchbenchAiEA' +
    'x'.repeat(760) +
    'Zm9vYmFyYmF6cXV4cXV1eA==',
};

export type BodyKind = 'string' | 'buffer';

export interface BenchRequest {
  /** Scenario id, e.g. `bulk-1MiB-string`. */
  id: string;
  method: 'GET' | 'POST';
  /** Path and query as they go on the wire. */
  path: string;
  /** The path without the query, and the query parsed, for signers that want them apart (smithy). */
  pathname: string;
  query: Record<string, string>;
  /** Lower-case names, as a client sends them (content-length given, so no contender has to measure the body). */
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** UTF-8 bytes of the body. */
  bytes: number;
}

/** xorshift32: deterministic and cheap; Math.random cannot be seeded. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const SERVICES = ['checkout', 'cart', 'auth', 'search', 'payments', 'inventory', 'gateway'];
const PATHS = ['/api/cart/items', '/api/orders', '/api/login', '/api/search?q=shoes', '/health', '/api/payments/intent', '/static/app.js'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'okhttp/4.12.0',
  'curl/8.5.0',
];
// Real logs carry some non-ASCII text (user names, search terms, the odd emoji). It makes the
// body a two-byte V8 string, and its surrogate pairs are what slicing must not split.
const INTERNATIONAL = ['Zoë Müller', 'José Martín', '山田太郎', 'Ærøskøbing', 'café crème', 'Łódź', '🛒 checkout', 'naïve résumé'];

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((r() * 16) | 0).toString(16);
  return s;
}

/** One `_bulk` action line and one log document, as JSON.stringify writes them. */
function logPair(r: () => number, i: number): string {
  const ts = new Date(Date.UTC(2024, 4, 1, 12, 0, 0) + i * 37).toISOString();
  const status = r() < 0.9 ? 200 : r() < 0.5 ? 404 : 503;
  const doc = {
    '@timestamp': ts,
    host: { name: `web-${(r() * 40) | 0}`, ip: `10.0.${(r() * 255) | 0}.${(r() * 255) | 0}` },
    service: { name: SERVICES[(r() * SERVICES.length) | 0], version: '2.14.1' },
    log: { level: LEVELS[(r() * LEVELS.length) | 0], logger: 'http.access' },
    http: {
      request: { method: r() < 0.7 ? 'GET' : 'POST', path: PATHS[(r() * PATHS.length) | 0] },
      response: { status_code: status, bytes: (r() * 50_000) | 0 },
    },
    user_agent: { original: AGENTS[(r() * AGENTS.length) | 0] },
    user: { name: r() < 0.02 ? INTERNATIONAL[(r() * INTERNATIONAL.length) | 0] : `user${(r() * 10_000) | 0}` },
    trace: { id: hex(r, 32) },
    message: `request completed in ${(r() * 900) | 0}ms`,
  };
  return `{"index":{"_index":"logs-2024.05.01"}}\n${JSON.stringify(doc)}\n`;
}

/**
 * NDJSON of log lines, about `targetBytes` of UTF-8, as a flat string: joined, not built with
 * `+=` (a rope would be flattened, a body-sized copy, by whichever contender hashes it first).
 */
export function ndjsonLogs(targetBytes: number, seed = 42): { text: string; docs: number } {
  const r = rng(seed);
  const parts: string[] = [];
  let bytes = 0;
  let i = 0;
  while (bytes < targetBytes && i < 10_000_000) {
    const pair = logPair(r, i++);
    parts.push(pair);
    bytes += Buffer.byteLength(pair);
  }
  return { text: parts.join(''), docs: i };
}

/** `count` log documents as NDJSON pairs for the end-to-end bulk, in batches of `perBatch`. */
export function bulkBatches(count: number, perBatch: number, index: string, seed = 7): string[] {
  const r = rng(seed);
  const batches: string[] = [];
  for (let start = 0; start < count; start += perBatch) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(count, start + perBatch); i++) parts.push(logPair(r, i).replace('logs-2024.05.01', index));
    batches.push(parts.join(''));
  }
  return batches;
}

/** A ~1 KiB search body of the kind a log dashboard sends. */
export function searchQuery(): string {
  const query = {
    size: 50,
    sort: [{ '@timestamp': { order: 'desc', unmapped_type: 'date' } }],
    track_total_hits: false,
    _source: ['@timestamp', 'service.name', 'log.level', 'message', 'http.response.status_code', 'host.name'],
    query: {
      bool: {
        filter: [
          { range: { '@timestamp': { gte: '2024-05-01T00:00:00.000Z', lte: '2024-05-01T23:59:59.999Z', format: 'strict_date_optional_time' } } },
          { terms: { 'service.name': ['checkout', 'cart', 'payments'] } },
          { term: { 'log.level': 'ERROR' } },
        ],
        must: [{ query_string: { query: 'message:timeout OR message:"connection reset"', analyze_wildcard: true } }],
        must_not: [{ term: { 'http.request.path': '/health' } }],
      },
    },
    aggs: {
      per_service: { terms: { field: 'service.name', size: 10 }, aggs: { per_minute: { date_histogram: { field: '@timestamp', fixed_interval: '1m' } } } },
      status: { terms: { field: 'http.response.status_code', size: 10 } },
    },
  };
  let text = JSON.stringify(query);
  // Pad with a filler term up to 1 KiB exactly, so the figure is what the label says.
  if (text.length < 1024) {
    query.query.bool.must_not.push({ term: { 'http.request.path': '' } });
    const base = JSON.stringify(query);
    const fill = 1024 - base.length;
    query.query.bool.must_not[1]!.term['http.request.path'] = '/'.padEnd(Math.max(1, fill), 'x');
    text = JSON.stringify(query);
  }
  return text;
}

export function smallGet(): BenchRequest {
  return {
    id: 'get-health',
    method: 'GET',
    path: '/_cluster/health?level=indices',
    pathname: '/_cluster/health',
    query: { level: 'indices' },
    headers: {},
    body: undefined,
    bytes: 0,
  };
}

export function searchPost(): BenchRequest {
  const body = searchQuery();
  return {
    id: 'search-1KiB',
    method: 'POST',
    path: '/logs-*/_search',
    pathname: '/logs-*/_search',
    query: {},
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    body,
    bytes: Buffer.byteLength(body),
  };
}

export function bulkPost(targetBytes: number, kind: BodyKind): BenchRequest {
  const { text } = ndjsonLogs(targetBytes);
  const body = kind === 'string' ? text : Buffer.from(text, 'utf8');
  const bytes = Buffer.byteLength(text);
  return {
    id: `bulk-${targetBytes >= 1 << 20 ? `${targetBytes >> 20}MiB` : `${targetBytes >> 10}KiB`}-${kind}`,
    method: 'POST',
    path: '/_bulk',
    pathname: '/_bulk',
    query: {},
    headers: { 'content-type': 'application/x-ndjson', 'content-length': String(bytes) },
    body,
    bytes,
  };
}

export function bodyLabel(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(0)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}
