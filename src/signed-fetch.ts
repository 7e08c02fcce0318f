/**
 * The signed fetch loop, for any runtime: the request's bytes made final, signed, sent
 * with the given fetch, and AWS's refusals read (one re-signed retry after a token refresh
 * or a clock correction, else the typed error). No Node built-in: the Node entry (fetch.ts)
 * and the web entry (web.ts) differ only in their signer and the bodies they can read.
 */
import { ConfigurationError } from './errors.js';
import { isRefusalStatus, type SigningContext } from './signing-context.js';

export type SignedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Bytes for a body the web platform does not know (a Node stream), or undefined to let it serialize the body. */
export type ReadOtherBody = (body: unknown) => Promise<string | Uint8Array> | undefined;

export function signedFetchWith(signer: SigningContext, baseFetch: typeof fetch, readOther?: ReadOtherBody): SignedFetch {
  const sendsHost = signer.options.host !== undefined;
  return async function signedFetch(input, init = {}) {
    const request = input instanceof Request ? input : undefined;
    const url = requestUrl(request ? request.url : input instanceof URL ? input.href : String(input));
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = requestHeaders(init.headers ?? request?.headers);
    const body = await bytesOf(init.body ?? (request && request.body ? await request.arrayBuffer() : undefined), headers, readOther);
    const nodeUrl = new URL(url.origin);
    const pathAndQuery = `${url.pathname}${url.search}`;
    let credentials = await signer.credentials();
    for (let attempt = 0; ; attempt++) {
      const signed = await signer.sign({ method, nodeUrl, pathAndQuery, headers: { ...headers }, body, attempt }, credentials);
      // fetch sets Host itself, from the URL (the signer used the same value); a custom
      // fetch given with the `host` option gets the signed one.
      const { host: _host, ...send } = signed.headers;
      if (sendsHost) send.host = signed.headers.host!;
      const response = await baseFetch(url, { ...init, method, headers: send, body: body as BodyInit | undefined, signal: init.signal ?? request?.signal });
      if (!isRefusalStatus(response.status)) return response;
      const text = await response.clone().text();
      const verdict = await signer.onRefusal({ statusCode: response.status, body: text, date: response.headers.get('date') ?? undefined }, signed, { method, path: pathAndQuery, attempt });
      if (verdict === 'retry') {
        credentials = await signer.credentials();
        continue;
      }
      if (verdict instanceof Error) throw verdict;
      return response;
    }
  };
}

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

/** The exact bytes fetch would send for any BodyInit, with the content-type fetch would add. */
async function bytesOf(body: unknown, headers: Record<string, string>, readOther: ReadOtherBody | undefined): Promise<string | Uint8Array | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const other = readOther?.(body);
  if (other !== undefined) return other;
  // URLSearchParams, Blob, FormData, ReadableStream: let the platform serialize it once.
  const serialized = new Response(body as BodyInit);
  const type = serialized.headers.get('content-type');
  if (type && headers['content-type'] === undefined) headers['content-type'] = type;
  return new Uint8Array(await serialized.arrayBuffer());
}
