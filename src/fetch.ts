/**
 * `createSignedFetch`: the global `fetch`, signed with SigV4, for any AWS service that takes
 * IAM-signed HTTP (API Gateway `execute-api`, Lambda function URLs, OpenSearch). Same
 * options, credential cache, retries and errors as the Connections.
 */
import { RequestSigner, type AwsSigV4Options } from './request-signer.js';
import { ConfigurationError } from './errors.js';
import { exchange, type Reply } from './exchange/exchange.js';
import type { BodyInput } from './exchange/body.js';

export interface SignedFetchOptions extends AwsSigV4Options {
  /** The fetch to sign for; default the global one (Node 18+). */
  fetch?: typeof fetch;
}

export type SignedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

/**
 * Redirects: a signature covers one method, host and path, and its headers carry the
 * session token, so the base fetch never follows one itself (it would re-send our headers
 * as they are, to any origin). With fetch's default `redirect: 'follow'` we follow a hop to
 * the same origin, re-signed for its own URL, and stop at a hop to another origin: that
 * 3xx is returned as with `redirect: 'manual'`, and the caller decides what to send there.
 * `redirect: 'manual'` returns every 3xx; `redirect: 'error'` rejects as fetch does.
 */
export function createSignedFetch(options: SignedFetchOptions = {}): SignedFetch {
  const { fetch: baseFetch = globalThis.fetch, ...signerOptions } = options;
  if (typeof baseFetch !== 'function') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', 'No fetch implementation: use Node.js 18 or later, or pass { fetch }.');
  }
  // The global fetch drops a Host header (a forbidden name) and sends the URL's: a request
  // signed for another name would be refused with a signature mismatch that names nothing.
  if (signerOptions.host !== undefined && baseFetch === globalThis.fetch) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS',
      'Option "host" does not work with the global fetch, which always sends the Host of the URL. ' +
        'Call the URL with that name, pass a { fetch } that sends the Host header given, or use AwsSigV4Connection or `aws-sigv4-connection proxy --signing-host` for a tunnel.');
  }
  const signer = new RequestSigner(signerOptions);

  return async function signedFetch(input, init = {}) {
    const request = input instanceof Request ? input : undefined;
    let url = requestUrl(request ? request.url : input instanceof URL ? input.href : String(input));
    let method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = requestHeaders(init.headers ?? request?.headers);
    const signal = init.signal ?? request?.signal ?? undefined;
    const mode = init.redirect ?? request?.redirect ?? 'follow';
    let body = (init.body ?? request?.body ?? undefined) as BodyInput;
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
          if (signerOptions.host !== undefined) send.host = signed.headers.host!;
          const response = await baseFetch(url, { ...init, method, headers: send, body: signed.body as BodyInit | undefined, signal, redirect: 'manual' });
          return replyOf(response);
        },
      });
      if (rejection !== undefined) throw rejection;
      const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
      if (location === null || mode === 'manual') return response;
      if (mode === 'error') throw new TypeError(`fetch failed: redirect mode is "error" and ${url.origin} answered ${response.status}.`);
      const next = new URL(location, url);
      if (next.origin !== url.origin || hop >= MAX_REDIRECTS) return response;
      // As fetch does: 303, and 301/302 after a POST, continue as a GET without a body.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) delete headers[name];
      }
      await response.body?.cancel();
      url = next;
    }
  };
}

/** The URL as fetch reads it, refused typed where fetch would throw a TypeError or send a password. */
function requestUrl(input: string): URL {
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
function requestHeaders(init: HeadersInit | undefined): Record<string, string> {
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

function abortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

function replyOf(response: Response): Reply<Response> {
  return {
    statusCode: response.status,
    header: (name) => response.headers.get(name) ?? undefined,
    response,
    consume: async () => ({ text: await response.clone().text(), response }),
  };
}
