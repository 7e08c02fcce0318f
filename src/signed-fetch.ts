/**
 * Both entries' createSignedFetch, with no Node built-in: the checks of the fetch, URL and
 * headers given (typed errors before anything is signed), the redirect policy, and the one
 * request loop over the exchange, parameterised by the signer and the base fetch.
 */
import { ConfigurationError, scrubCause } from './errors.js';
import type { BodyInput } from './exchange/body.js';
import { exchange, type Reply } from './exchange/exchange.js';
import type { AwsSigV4Options, SigningContext } from './signing-context.js';
import { readOptions, unreadable } from './read-once.js';
import { truncate, typeName } from './sigv4/validate.js';

export type SignedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The options of createSignedFetch, in both entries. */
export interface SignedFetchOptions extends AwsSigV4Options {
  /** The fetch to sign for; default the global one. */
  fetch?: typeof fetch | undefined;
}

// The DOM lib's RequestRedirect and HeadersInit, which @types/node does not declare: named in
// our declarations, they fail a Node-only project that checks them (skipLibCheck off).
const REDIRECT_MODES = ['follow', 'manual', 'error'] as const;
type RedirectMode = (typeof REDIRECT_MODES)[number];
type HeadersSource = ConstructorParameters<typeof Headers>[0];

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

/**
 * createSignedFetch for both entries: the options checked, then the signer the entry makes
 * (node:crypto or WebCrypto) over the fetch to call.
 */
export function createSignedFetchWith(options: SignedFetchOptions | undefined, signerFor: (options: AwsSigV4Options) => SigningContext): SignedFetch {
  // Read once, as configure() reads its options: a getter or Proxy trap that throws is a typed error.
  const { fetch: given, ...signerOptions } = readOptions(options === undefined ? {} : options, 'The options of createSignedFetch',
    (got) => `createSignedFetch(options) must be an object { region?, service?, credentials?, fetch?, ... }, got ${got}.`);
  const baseFetch = checkedFetch(given, signerOptions.host);
  return signedFetchWith(signerFor(signerOptions), baseFetch);
}

/** The fetch to call: the one given, else the global one, refused with the `host` option it cannot honour. */
function checkedFetch(baseFetch: typeof fetch | undefined, host: string | undefined): typeof fetch {
  const chosen = baseFetch ?? globalThis.fetch;
  if (typeof chosen !== 'function') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', baseFetch === undefined || baseFetch === null
      ? 'No fetch implementation: use a runtime with a global fetch (Node.js 20 or later), or pass { fetch }.'
      : `Option "fetch" must be a function with the signature of fetch, got a ${typeof baseFetch}.`);
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

/**
 * A fetch call's arguments as the signed fetch uses them, checked: fetch's precedence of
 * `init` over a Request. What fetch would refuse with a TypeError (a forbidden method, a body
 * on a GET) is a typed error here, before anything is signed.
 */
export function fetchCall(input: string | URL | Request, init: RequestInit) {
  let request: Request | undefined;
  let href: string;
  try {
    request = input instanceof Request ? input : undefined;
    href = request ? request.url : input instanceof URL ? input.href : String(input);
  } catch (error) {
    // A Proxy of a Request or URL (whose getters refuse it), an object whose toString throws.
    throw unreadable(error, 'ERR_INVALID_URL', 'The URL given to the signed fetch', 'Pass a string, a URL or a Request.');
  }
  const url = requestUrl(href);
  const method = requestMethod(init.method !== undefined ? init.method : request?.method ?? 'GET');
  const body = (init.body ?? request?.body ?? undefined) as BodyInput;
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new ConfigurationError('ERR_UNSUPPORTED_BODY',
      `fetch cannot send a body with ${method}: use POST (OpenSearch takes _search, _count and _msearch bodies by POST), ` +
        'or send the GET with a body through AwsSigV4Connection or signRequest with node:http.');
  }
  checkInitMembers(init);
  return {
    request,
    url,
    method,
    body,
    headers: requestHeaders(init.headers ?? request?.headers),
    signal: requestSignal(init.signal ?? request?.signal ?? undefined),
    mode: (init.redirect ?? request?.redirect ?? 'follow') as RedirectMode,
  };
}

/**
 * The Fetch standard's enumerated members of RequestInit and the values each takes. fetch
 * refuses any other value with a TypeError, but only once the request is signed and handed
 * to it, and `redirect`, which the signed fetch applies itself, would be read as 'follow'.
 */
const INIT_ENUMS: Readonly<Record<string, readonly string[]>> = {
  redirect: REDIRECT_MODES,
  mode: ['cors', 'no-cors', 'same-origin'],
  credentials: ['omit', 'same-origin', 'include'],
  cache: ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'],
  referrerPolicy: ['', 'no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin', 'strict-origin', 'origin-when-cross-origin', 'strict-origin-when-cross-origin', 'unsafe-url'],
  duplex: ['half'],
  priority: ['high', 'low', 'auto'],
};

function checkInitMembers(init: RequestInit): void {
  for (const [name, values] of Object.entries(INIT_ENUMS)) {
    const value: unknown = init[name as keyof RequestInit];
    if (value === undefined || (typeof value === 'string' && values.includes(value))) continue;
    const got = typeof value === 'string' ? `"${truncate(value)}"` : typeName(value);
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `init.${name} must be one of ${values.map((v) => `"${v}"`).join(', ')}, as for fetch, got ${got}.`);
  }
}

/** The caller's AbortSignal; anything else is refused, as fetch refuses it (a function would otherwise be called as a lazy signal). */
function requestSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal === null) return undefined;
  // By shape, not instanceof: a custom fetch (node-fetch) takes an AbortSignal of another realm or polyfill.
  const shaped = typeof signal === 'object' && typeof (signal as AbortSignal).addEventListener === 'function' && typeof (signal as AbortSignal).aborted === 'boolean';
  if (!shaped) throw new ConfigurationError('ERR_INVALID_OPTIONS', `init.signal must be an AbortSignal (AbortController's signal, AbortSignal.timeout()), got ${typeName(signal)}.`);
  return signal as AbortSignal;
}

/** Methods fetch never sends (the Fetch standard's forbidden methods). */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** The method as the signed fetch sends it (upper case); one fetch refuses, or would send as other text, is a typed error. */
function requestMethod(given: unknown): string {
  // fetch would send `String(given)` ("5", "null"): never what was meant.
  if (typeof given !== 'string') {
    throw new ConfigurationError('ERR_INVALID_METHOD', `init.method must be a string naming an HTTP method such as "GET" or "POST", got ${typeName(given)}.`);
  }
  const method = given.toUpperCase();
  if (FORBIDDEN_METHODS.has(method)) {
    throw new ConfigurationError('ERR_INVALID_METHOD',
      `fetch never sends the method ${method} (a forbidden method in the Fetch standard): sign it with signRequest and send it with node:http, or use another method.`);
  }
  return method;
}

/** The URL as fetch reads it, refused typed where fetch would throw a TypeError, send a password, or not go to the network. */
export function requestUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ConfigurationError('ERR_INVALID_URL', 'The URL given to the signed fetch is not an absolute URL: pass https://host/path.');
  }
  // data:, blob:, file:, about:... reach no server to sign for (fetch reads a data: URL itself).
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError('ERR_INVALID_URL', `The URL given to the signed fetch must use http or https, got the scheme "${truncate(url.protocol.slice(0, -1))}": pass https://host/path.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigurationError('ERR_INVALID_URL', 'The URL given to the signed fetch carries a user name or password (user:pass@host): SigV4 authenticates with the signature alone. Remove it.');
  }
  return url;
}

/** The headers as fetch would send them; a name or value fetch refuses is a typed error here, before signing. */
export function requestHeaders(init: HeadersSource | undefined): Record<string, string> {
  // No prototype: a `__proto__` header (fetch sends it) kept, not taken for the object's prototype.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let parsed: Headers;
  try {
    parsed = new Headers(init);
  } catch (error) {
    // Headers' own TypeError and a caller's getter or Proxy trap both end here: the cause tells which.
    throw new ConfigurationError('ERR_INVALID_HEADERS',
      'A header given to the signed fetch has a name that is not an HTTP token (letters, digits, !#$%&\'*+-.^_`|~) or a value with CR, LF, NUL or a character above U+00FF, ' +
        'or the headers could not be read (a getter or Proxy trap threw): fix the header (see cause).', { cause: scrubCause(error) });
  }
  parsed.forEach((value, name) => { headers[name] = value; });
  return headers;
}

/**
 * Redirects: a signature covers one method, host and path, and its headers carry the
 * session token, so the base fetch never follows one itself (it would re-send our headers
 * as they are, to any origin). With fetch's default `redirect: 'follow'` we follow a hop to
 * the same origin, re-signed for its own URL, and stop at a hop to another origin (or to a
 * URL with user:password): that
 * 3xx is returned as with `redirect: 'manual'`, and the caller decides what to send there.
 * `redirect: 'manual'` returns every 3xx; `redirect: 'error'` rejects as fetch does.
 * Returns the next hop, or undefined when `response` is the answer; `headers` loses the
 * body's headers when the next hop is a GET without a body.
 */
export function nextHop(response: Response, url: URL, method: string, mode: RedirectMode, hop: number, headers: Record<string, string>): { url: URL; method: string; dropBody: boolean } | undefined {
  const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
  if (location === null || mode === 'manual') return undefined;
  if (mode === 'error') throw new TypeError(`fetch failed: redirect mode is "error" and ${url.origin} answered ${response.status}.`);
  const next = new URL(location, url);
  // A Location with user:password is a URL we never sign (requestUrl refuses it), and fetch's
  // TypeError for it quotes it whole: that 3xx is the answer, as for another origin.
  if (next.origin !== url.origin || next.username !== '' || next.password !== '' || hop >= MAX_REDIRECTS) return undefined;
  // As fetch does: 303, and 301/302 after a POST, continue as a GET without a body.
  if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
    for (const name of BODY_HEADERS) delete headers[name];
    return { url: next, method: method === 'HEAD' ? method : 'GET', dropBody: true };
  }
  return { url: next, method, dropBody: false };
}

/**
 * createSignedFetch for both entries, over their signer (the Node RequestSigner, or the web
 * entry's WebCrypto one) and base fetch: every attempt goes through the exchange, so body
 * kinds, the buffering limit, aborts and timeouts of every wait, refusals and the one
 * re-signed retry are the same in both. Redirects: see nextHop.
 */
export function signedFetchWith(signer: SigningContext, baseFetch: typeof fetch): SignedFetch {
  const sendsHost = signer.options.host !== undefined;
  return async function signedFetch(input, init) {
    // fetch takes a null init as none (WebIDL: an optional dictionary).
    init = init === undefined || init === null ? {} : readInit(init);
    const call = fetchCall(input, init);
    const { headers, signal, mode } = call;
    let { url, method, body } = call;
    for (let hop = 0; ; hop++) {
      const { response, rejection } = await exchange<Response>({
        signer,
        method,
        nodeUrl: new URL(url.origin),
        pathAndQuery: `${url.pathname}${url.search}`,
        headers,
        body,
        // fetch itself rejects with the signal's reason (an AbortError by default), at once when already aborted.
        guard: { signal, aborted: abortError, timedOut: () => abortError(undefined) },
        prepare: (h, read) => {
          if (read.contentType !== undefined && h['content-type'] === undefined) h['content-type'] = read.contentType;
          // Read once: a re-signed retry or a followed redirect sends the same bytes.
          body = read.body;
        },
        send: async (signed) => {
          // fetch sets Host itself, from the URL (the signer used the same value); a custom
          // fetch given with the `host` option gets the signed one.
          const { host: _host, ...send } = signed.headers;
          if (sendsHost) send.host = signed.headers.host!;
          const response = await baseFetch(url, { ...init, method, headers: send, body: signed.body as BodyInit | undefined, signal, redirect: 'manual' });
          return replyOf(response);
        },
      });
      if (rejection !== undefined) throw rejection;
      const next = nextHop(response, url, method, mode, hop, headers);
      if (next === undefined) return response;
      await response.body?.cancel();
      ({ url, method } = next);
      if (next.dropBody) body = undefined;
    }
  };
}

/**
 * The init of one call, read once (each attempt and hop sends this copy): its own fields, as
 * the send spreads them, and the ones the signed fetch reads through their getters, as fetch
 * does (a class instance's too). A getter or Proxy trap that throws is a typed error.
 */
function readInit(init: RequestInit): RequestInit {
  try {
    if (typeof init !== 'object' || Array.isArray(init)) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', `The init of the signed fetch must be an object (fetch's RequestInit), got ${typeName(init)}.`);
    }
    const { method, headers, body, signal, redirect } = init;
    return { ...init, method, headers, body, signal, redirect };
  } catch (error) {
    throw unreadable(error, 'ERR_INVALID_OPTIONS', 'The init of the signed fetch', 'Pass an object of plain values { method?, headers?, body?, ... }.');
  }
}

function abortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

function replyOf(response: Response): Reply<Response> {
  return {
    statusCode: response.status,
    header: (name) => response.headers.get(name) ?? undefined,
    response,
    consume: async (scrub, bound) => {
      let text: string;
      try {
        // fetch has undone any content-encoding: the bound holds what it expanded to.
        text = new TextDecoder().decode(await bound.read(response.clone().body));
      } catch (error) {
        // The clone's branch is cancelled; until this one is too, the tee holds the connection.
        // Not awaited: on Node 18 a tee's cancel never settles (nor reaches the source), and
        // the error is this call's answer either way.
        response.body?.cancel().catch(() => undefined);
        throw error;
      }
      const shown = scrub(text);
      const raw: string[] = [];
      response.headers.forEach((value, name) => { raw.push(name, value); });
      const head = scrub.rawHeaders(raw);
      // Nothing of ours in it: the answer as fetch gave it. Else a body of the scrubbed text
      // (fetch decoded it), or the same body under the scrubbed headers.
      if (shown === text && head === raw) return { text, response };
      const headers = new Headers();
      for (let i = 0; i + 1 < head.length; i += 2) headers.append(head[i]!, head[i + 1]!);
      if (shown !== text) for (const name of ['content-encoding', 'content-length']) headers.delete(name);
      const replayed = new Response(shown === text ? response.body : shown, { status: response.status, statusText: response.statusText, headers });
      // A Response made here has no URL: keep the one fetch answered for.
      Object.defineProperty(replayed, 'url', { value: response.url });
      return { text, response: replayed };
    },
  };
}
