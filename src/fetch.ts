/**
 * `createSignedFetch`: the global `fetch`, signed with SigV4, for any AWS service that takes
 * IAM-signed HTTP (API Gateway `execute-api`, Lambda function URLs, OpenSearch). Same
 * options, credential cache, retries and errors as the Connections.
 */
import { Readable } from 'node:stream';
import { isRefusalStatus, RequestSigner, type AwsSigV4Options } from './request-signer.js';
import { ConfigurationError } from './errors.js';

export interface SignedFetchOptions extends AwsSigV4Options {
  /** The fetch to sign for; default the global one (Node 18+). */
  fetch?: typeof fetch;
}

export type SignedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

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
    const url = requestUrl(request ? request.url : input instanceof URL ? input.href : String(input));
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = requestHeaders(init.headers ?? request?.headers);
    const body = await bytesOf(init.body ?? (request && request.body ? await request.arrayBuffer() : undefined), headers, signer);
    const nodeUrl = new URL(url.origin);
    const pathAndQuery = `${url.pathname}${url.search}`;
    let credentials = await signer.credentials();
    for (let attempt = 0; ; attempt++) {
      const signed = signer.sign({ method, nodeUrl, pathAndQuery, headers: { ...headers }, body, attempt }, credentials);
      // fetch sets Host itself, from the URL (the signer used the same value); a custom
      // fetch given with the `host` option gets the signed one.
      const { host: _host, ...send } = signed.headers;
      if (signerOptions.host !== undefined) send.host = signed.headers.host!;
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
async function bytesOf(body: unknown, headers: Record<string, string>, signer: RequestSigner): Promise<string | Uint8Array | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Readable) return (await signer.bufferStream(body)).body;
  // URLSearchParams, Blob, FormData, ReadableStream: let the platform serialize it once.
  const serialized = new Response(body as BodyInit);
  const type = serialized.headers.get('content-type');
  if (type && headers['content-type'] === undefined) headers['content-type'] = type;
  return new Uint8Array(await serialized.arrayBuffer());
}
