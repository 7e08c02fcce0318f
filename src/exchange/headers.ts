/**
 * Header rules every front end shares: which names never travel past one hop, which the
 * signer owns, and how a client's header object becomes the lower-cased one we sign.
 */

/** Hop-by-hop headers (RFC 9110 7.6.1): meaningful for one connection only, never forwarded. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** Headers the signer sets itself: a forwarded copy would be stale or someone else's. */
export const SIGNER_OWNED: ReadonlySet<string> = new Set([
  'host', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256',
]);

/** The extra names a `Connection:` header declares hop-by-hop for this message. */
export function connectionTokens(connection: string | string[] | undefined): Set<string> {
  const value = Array.isArray(connection) ? connection.join(',') : connection ?? '';
  return new Set(value.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean));
}

/**
 * What separates repeats of one field folded into one line: "," (RFC 9110 5.3), except
 * Cookie, whose pairs a server splits on "; " (RFC 6265 5.4).
 */
export function repeatSeparator(name: string): string {
  return name === 'cookie' ? '; ' : ',';
}

/** True when a header may be forwarded to the next hop (a proxy's rule, both directions). */
export function isEndToEnd(name: string, tokens: ReadonlySet<string>): boolean {
  return !HOP_BY_HOP.has(name) && !tokens.has(name);
}

export interface ClientHeaders {
  /** Lower-cased names (later sources win), values as strings, no `authorization`: what is signed. */
  headers: Record<string, string>;
  /**
   * Names whose value was `undefined`, `null`, a symbol, an empty array or another object:
   * not signed, and handed back to the stock class as they came, so it refuses, drops or
   * sends them exactly as it does without us (node:http sets no line for [] and sends an
   * object as "[object Object]", undici refuses an object, every stock class throws its own
   * TypeError for a symbol), where String() would have signed and sent "Symbol(x)".
   */
  unset: Record<string, unknown> | undefined;
  /** An `authorization` was given and left out (the signature takes its place). */
  droppedAuthorization: boolean;
}

/**
 * One new object from a client's header objects. `authorization` is dropped: the clients may
 * share a header object among connections and carry Basic/ApiKey auth in it, and undici
 * would send `X-A` and `x-a` both.
 */
export function clientHeaders(...sources: Array<Record<string, unknown> | null | undefined>): ClientHeaders {
  const headers: Record<string, string> = {};
  let unset: Record<string, unknown> | undefined;
  let droppedAuthorization = false;
  for (const source of sources) {
    if (source === null || source === undefined) continue;
    for (const name in source) {
      const value = source[name];
      const lower = name.toLowerCase();
      if (lower === 'authorization') {
        droppedAuthorization ||= value !== undefined && value !== null;
        continue;
      }
      if (handedBack(value)) {
        delete headers[lower];
        (unset ??= {})[name] = value;
        continue;
      }
      if (unset !== undefined) deleteName(unset, lower);
      headers[lower] = Array.isArray(value) ? value.join(repeatSeparator(lower)) : String(value);
    }
  }
  return { headers, unset, droppedAuthorization };
}

/** A value no stack sends as it is: each stock class has its own rule for it (see ClientHeaders.unset). */
function handedBack(value: unknown): boolean {
  if (value === undefined || value === null || typeof value === 'symbol') return true;
  return typeof value === 'object' && (!Array.isArray(value) || value.length === 0);
}

function deleteName(record: Record<string, unknown>, lower: string): void {
  for (const name of Object.keys(record)) if (name.toLowerCase() === lower) delete record[name];
}
