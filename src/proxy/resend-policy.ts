/**
 * Which requests the proxy may send a second time after a kept-alive upstream socket failed
 * before any answer byte (./stale-socket.ts). That failure does not say the target never
 * read the request: it may have run it and closed before answering. So only what is safe
 * to run twice is sent again; anything else gets a 502 saying it was not, for the client
 * to check whether it took effect. What is safe to repeat:
 *
 *   - A request carrying `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): the
 *     client says the target deduplicates it. OpenSearch and Elasticsearch ignore the
 *     header; it is for targets that implement it (an API behind execute-api).
 *   - An idempotent method (RFC 9110 9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE), except
 *     on the APIs below that change state whatever the method.
 *   - A POST to a read-only search API (READ_ONLY_POST_APIS).
 *
 * Never repeated, whatever the method (NEVER_REPEATED), because the cluster does not keep
 * the method's promise there: `_bulk` (and Elasticsearch's `_monitoring/bulk`) takes PUT as
 * well as POST and, with auto ids, indexes a batch twice; `_search/scroll` and the SQL/PPL cursors (GET or POST) move a cursor on
 * each call, so a second call skips the page the first one fetched.
 *
 * The path is the one the target sees (the proxy's prefix included), read segment by
 * segment as the cluster's router does (percent-decoded), so `POST /logs/_doc/_search`
 * (a document whose id is `_search`) is not a search. Under a --target path prefix that a gateway strips, a search may read as no known API: not resent, the safe side.
 */

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * The API part of a path (after an optional target: index, alias, pattern or list) of a POST
 * that reads only; `*` stands for one segment (a document id, a template id). Why each is
 * here: `_search`, `_msearch` and their `template` forms, `_count`, `_mget`, `_explain`,
 * `_termvectors` and `_mtermvectors` read documents; `_field_caps` and `_validate/query` read
 * mappings; `_rank_eval`, `_render/template` and `_analyze` compute an answer and store
 * nothing. A `_search` with `?scroll=` opens a scroll context: a repeat opens another, which
 * expires by itself (its keep-alive) and changes no data.
 * Left out on purpose: `_search/scroll` (see NEVER_REPEATED), `_sql`/`_ppl` (cursors, and
 * OpenSearch SQL can DELETE), `_search/point_in_time`, `_pit` and `_async_search` (each call
 * creates a stored resource), `_update_by_query`, `_delete_by_query`, `_reindex`, `_refresh`,
 * `_flush` and every other write.
 */
const READ_ONLY_POST_APIS: ReadonlyArray<readonly string[]> = [
  ['_search'], ['_search', 'template'], ['_msearch'], ['_msearch', 'template'],
  ['_count'], ['_mget'], ['_explain', '*'], ['_termvectors'], ['_termvectors', '*'], ['_mtermvectors'],
  ['_field_caps'], ['_validate', 'query'], ['_rank_eval'], ['_render', 'template'], ['_render', 'template', '*'], ['_analyze'],
];

/** Segments (or runs of them) that make a request unsafe to repeat whatever its method: see the header. */
function neverRepeated(segments: readonly string[]): boolean {
  return segments.some((s, i) => s === '_bulk' || s === '_sql' || s === '_ppl'
    || (s === '_search' && segments[i + 1] === 'scroll') || (s === '_monitoring' && segments[i + 1] === 'bulk'));
}

/** Whether a request that met a stale socket may be sent again: `headers` are the ones it went with (lower-cased). */
export function mayResend(method: string, pathAndQuery: string, headers: Readonly<Record<string, string | undefined>>): boolean {
  if ((headers['idempotency-key'] ?? '').trim() !== '') return true;
  const segments = pathSegments(pathAndQuery);
  // A path we cannot read as the router does: not known to be safe.
  if (segments === undefined || neverRepeated(segments)) return false;
  if (IDEMPOTENT_METHODS.has(method)) return true;
  return method === 'POST' && isReadOnlyApi(segments);
}

function isReadOnlyApi(segments: readonly string[]): boolean {
  // A target names indices (no index name starts with "_"); `_all` is the one "_" target.
  const api = segments.length > 0 && (!segments[0]!.startsWith('_') || segments[0] === '_all') ? segments.slice(1) : segments;
  return READ_ONLY_POST_APIS.some((pattern) => pattern.length === api.length && pattern.every((p, i) => p === '*' || p === api[i]));
}

/** The path's segments, percent-decoded; undefined when one is empty (`//`) or does not decode. */
function pathSegments(pathAndQuery: string): string[] | undefined {
  const path = pathAndQuery.split('?', 1)[0]!.replace(/^\//, '').replace(/\/$/, '');
  if (path === '') return [];
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') return undefined;
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      return undefined;
    }
  }
  return segments;
}
