/**
 * What both entries' createSignedFetch share, with no Node built-in: the checks of the
 * fetch, URL and headers given (typed errors before anything is signed), the redirect policy,
 * and the web entry's request loop (sign, send, read AWS's refusal: one re-signed retry after
 * a token refresh or a clock correction, else the typed error). The Node entry (fetch.ts)
 * runs its requests through the exchange instead, which also reads Node streams and races
 * every wait against abort and timeout.
 */
import { ConfigurationError } from './errors.js';
import { isRefusalStatus, type SigningContext } from './signing-context.js';

export type SignedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

/** The fetch to call: the one given, else the global one, refused with the `host` option it cannot honour. */
export function checkedFetch(baseFetch: typeof fetch | undefined, host: string | undefined): typeof fetch {
  const chosen = baseFetch ?? globalThis.fetch;
  if (typeof chosen !== 'function') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', 'No fetch implementation: use a runtime with a global fetch (Node.js 18 or later), or pass { fetch }.');
  }
  // The global fetch drops a Host header (a forbidden name) and sends the URL's: a request
  // signed for another name would be refused with a signature mismatch that names nothing.
  if (host !== undefined && chosen === globalThis.fetch) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS',
      'Option "host" does not work with the global fetch, which always sends the Host of the URL. ' +
        'Call the URL with that name, pass a { fetch } that sends the Host header given, or use AwsSigV4Connection or `aws-sigv4-connection proxy --signing-host` for a tunnel.');
  }
  return chosen;
}

/** A fetch call's arguments as the signed fetch uses them, checked: fetch's precedence of `init` over a Request. */
export function fetchCall(input: string | URL | Request, init: RequestInit) {
  const request = input instanceof Request ? input : undefined;
  return {
    request,
    url: requestUrl(request ? request.url : input instanceof URL ? input.href : String(input)),
    method: (init.method ?? request?.method ?? 'GET').toUpperCase(),
    headers: requestHeaders(init.headers ?? request?.headers),
    signal: init.signal ?? request?.signal ?? undefined,
    mode: init.redirect ?? request?.redirect ?? 'follow',
  };
}

/** The URL as fetch reads it, refused typed where fetch would throw a TypeError or send a password. */
export function requestUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ConfigurationError('ERR_INVALID_URL', 'The URL given to the signed fetch is not an absolute URL: pass https://host/path.');
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigurationError('ERR_INVALID_URL', 'The URL given to the signed fetch carries a user name or password (user:pass@host): SigV4 authenticates with the signature alone. Remove it.');
  }
  return url;
}

/** The headers as fetch would send them; a name or value fetch refuses is a typed error here, before signing. */
export function requestHeaders(init: HeadersInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  let parsed: Headers;
  try {
    parsed = new Headers(init);
  } catch {
    throw new ConfigurationError('ERR_INVALID_HEADERS',
      'A header given to the signed fetch has a name that is not an HTTP token (letters, digits, !#$%&\'*+-.^_`|~) or a value with CR, LF or NUL: fix the header.');
  }
  parsed.forEach((value, name) => { headers[name] = value; });
  return headers;
}

/**
 * Redirects: a signature covers one method, host and path, and its headers carry the
 * session token, so the base fetch never follows one itself (it would re-send our headers
 * as they are, to any origin). With fetch's default `redirect: 'follow'` we follow a hop to
 * the same origin, re-signed for its own URL, and stop at a hop to another origin: that
 * 3xx is returned as with `redirect: 'manual'`, and the caller decides what to send there.
 * `redirect: 'manual'` returns every 3xx; `redirect: 'error'` rejects as fetch does.
 * Returns the next hop, or undefined when `response` is the answer; `headers` loses the
 * body's headers when the next hop is a GET without a body.
 */
export function nextHop(response: Response, url: URL, method: string, mode: RequestRedirect, hop: number, headers: Record<string, string>): { url: URL; method: string; dropBody: boolean } | undefined {
  const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
  if (location === null || mode === 'manual') return undefined;
  if (mode === 'error') throw new TypeError(`fetch failed: redirect mode is "error" and ${url.origin} answered ${response.status}.`);
  const next = new URL(location, url);
  if (next.origin !== url.origin || hop >= MAX_REDIRECTS) return undefined;
  // As fetch does: 303, and 301/302 after a POST, continue as a GET without a body.
  if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
    for (const name of BODY_HEADERS) delete headers[name];
    return { url: next, method: method === 'HEAD' ? method : 'GET', dropBody: true };
  }
  return { url: next, method, dropBody: false };
}

/** The web entry's createSignedFetch over a signer (asynchronous, WebCrypto). */
export function signedFetchWith(signer: SigningContext, baseFetch: typeof fetch): SignedFetch {
  const sendsHost = signer.options.host !== undefined;
  return async function signedFetch(input, init = {}) {
    const call = fetchCall(input, init);
    const { request, headers, signal, mode } = call;
    let { url, method } = call;
    // Read once: a re-signed retry or a followed redirect sends the same bytes.
    let body = await bytesOf(init.body ?? (request && request.body ? await request.arrayBuffer() : undefined), headers);
    for (let hop = 0; ; hop++) {
      const response = await sendSigned(signer, baseFetch, init, { url, method, headers, body, signal, sendsHost });
      const next = nextHop(response, url, method, mode, hop, headers);
      if (next === undefined) return response;
      await response.body?.cancel();
      ({ url, method } = next);
      if (next.dropBody) body = undefined;
    }
  };
}

interface Outgoing { url: URL; method: string; headers: Record<string, string>; body: string | Uint8Array | undefined; signal: AbortSignal | undefined; sendsHost: boolean }

async function sendSigned(signer: SigningContext, baseFetch: typeof fetch, init: RequestInit, out: Outgoing): Promise<Response> {
  const nodeUrl = new URL(out.url.origin);
  const pathAndQuery = `${out.url.pathname}${out.url.search}`;
  let credentials = await signer.credentials();
  for (let attempt = 0; ; attempt++) {
    const signed = await signer.sign({ method: out.method, nodeUrl, pathAndQuery, headers: { ...out.headers }, body: out.body, attempt }, credentials);
    // fetch sets Host itself, from the URL (the signer used the same value); a custom
    // fetch given with the `host` option gets the signed one.
    const { host: _host, ...send } = signed.headers;
    if (out.sendsHost) send.host = signed.headers.host!;
    const response = await baseFetch(out.url, { ...init, method: out.method, headers: send, body: out.body as BodyInit | undefined, signal: out.signal, redirect: 'manual' });
    if (!isRefusalStatus(response.status)) return response;
    const text = await response.clone().text();
    const verdict = await signer.onRefusal({ statusCode: response.status, body: text, date: response.headers.get('date') ?? undefined }, signed, { method: out.method, path: pathAndQuery, attempt });
    if (verdict === 'retry') {
      credentials = await signer.credentials();
      continue;
    }
    if (verdict instanceof Error) throw verdict;
    return response;
  }
}

/** The exact bytes fetch would send for any BodyInit, with the content-type fetch would add. */
async function bytesOf(body: unknown, headers: Record<string, string>): Promise<string | Uint8Array | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  // URLSearchParams, Blob, FormData, ReadableStream: let the platform serialize it once.
  const serialized = new Response(body as BodyInit);
  const type = serialized.headers.get('content-type');
  if (type && headers['content-type'] === undefined) headers['content-type'] = type;
  return new Uint8Array(await serialized.arrayBuffer());
}
