/**
 * The request's URL as it goes on the wire: scheme, Host value, path and query, split the
 * way Python's urlsplit does (no normalisation of the path or query, which are signed as
 * sent). The authority is read twice, by us and by WHATWG `URL` (what `fetch` and the
 * clients send to), and refused where the two readings disagree: a signature for one host
 * on a request that goes to another is the one mistake a signer must never make.
 */
import { ConfigurationError, scrubCause } from '../errors.js';
import { caches } from './caches.js';
import { truncate, typeName } from './validate.js';

export interface WireUrl {
  scheme: string;
  /** The Host value: lower-case host name, port kept unless it is the scheme's default. */
  host: string;
  path: string;
  query: string;
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** URL's own href getter: what a URL object holds, whatever a subclass's getters say. */
const OWN_HREF = Object.getOwnPropertyDescriptor(URL.prototype, 'href')?.get as ((this: URL) => string) | undefined;

/**
 * The request's URL as text: a string as it is, a URL object by URL's own href getter, once.
 * A subclass whose host or pathname getter lies would otherwise have the signature made for
 * a host the request does not go to; a Proxy of a URL (which that getter refuses) is refused.
 */
export function wireUrlText(url: unknown): string {
  if (typeof url === 'string') return url;
  let href: unknown;
  let cause: unknown;
  try {
    if (url instanceof URL) href = OWN_HREF === undefined ? url.href : OWN_HREF.call(url);
  } catch (error) {
    cause = error;
  }
  if (typeof href === 'string') return href;
  throw new ConfigurationError('ERR_INVALID_URL',
    `request.url must be a string or a URL, got ${typeName(url)}${cause === undefined ? '' : ' that URL cannot read (a Proxy of a URL is not one)'}: pass the URL's href.`,
    cause === undefined ? undefined : { cause: scrubCause(cause) });
}

export function parseWireUrl(given: string | URL): WireUrl {
  const url = wireUrlText(given);
  // A client signs for one endpoint: its origin is parsed once and recognised after.
  const origin = caches.origin;
  let scheme: string;
  let host: string;
  let authorityEnd: number;
  // lastIndexOf(prefix, 0) only looks at index 0, and costs a fifth of startsWith in V8 11.
  if (origin !== undefined && url.lastIndexOf(origin.prefix, 0) === 0 && isAuthorityEnd(url, origin.prefix.length)) {
    scheme = origin.scheme;
    host = origin.host;
    authorityEnd = origin.prefix.length;
  } else {
    const schemeEnd = url.indexOf('://');
    if (schemeEnd <= 0 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, schemeEnd))) {
      throw new ConfigurationError('ERR_INVALID_URL', `request.url must be an absolute http(s) URL such as https://host/path, got ${JSON.stringify(quotableUrl(url))}.`);
    }
    scheme = url.slice(0, schemeEnd).toLowerCase();
    assertHttpScheme(scheme, url);
    const authorityStart = schemeEnd + 3;
    authorityEnd = url.length;
    for (let i = authorityStart; i < url.length; i++) {
      const c = url.charCodeAt(i);
      if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) { authorityEnd = i; break; }
    }
    const prefix = url.slice(0, authorityEnd);
    const authority = url.slice(authorityStart, authorityEnd);
    host = hostFromAuthority(authority, scheme, url);
    // First the disagreement (`evil\@good`), then userinfo that both readings see.
    assertSameHostAsWhatwg(prefix, host);
    if (authority.indexOf('@') !== -1) throw userinfoError();
    caches.origin = { prefix, scheme, host };
  }
  const fragmentAt = url.indexOf('#', authorityEnd);
  const rest = fragmentAt === -1 ? url.slice(authorityEnd) : url.slice(authorityEnd, fragmentAt);
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rest.slice(queryAt + 1);
  return { scheme, host, path, query };
}

function isAuthorityEnd(url: string, at: number): boolean {
  if (at === url.length) return true;
  const c = url.charCodeAt(at);
  return c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */;
}

function assertHttpScheme(scheme: string, url: string): void {
  if (scheme !== 'https' && scheme !== 'http') {
    throw new ConfigurationError('ERR_INVALID_URL', `request.url must use http or https, got the scheme "${truncate(scheme)}" in ${JSON.stringify(quotableUrl(url))}.`);
  }
}

function userinfoError(): ConfigurationError {
  return new ConfigurationError('ERR_INVALID_URL',
    'request.url carries a user name or password (user:pass@host): SigV4 authenticates with the signature alone, and a password in a URL ends up in logs. Remove it.');
}

function hostFromAuthority(authority: string, scheme: string, url: string): string {
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  let hostname = hostPort;
  let port = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    hostname = hostPort.slice(0, close + 1);
    if (hostPort.charCodeAt(close + 1) === 58 /* : */) port = hostPort.slice(close + 2);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon !== -1) { hostname = hostPort.slice(0, colon); port = hostPort.slice(colon + 1); }
  }
  if (hostname === '' || hostname === '[]' || (port !== '' && !/^\d+$/.test(port))) {
    throw new ConfigurationError('ERR_INVALID_URL', `request.url has no valid host: ${JSON.stringify(quotableUrl(url))}.`);
  }
  if (port !== '') {
    const number = Number(port);
    if (number > 65535) {
      throw new ConfigurationError('ERR_INVALID_URL', `request.url has the port ${truncate(port)}, out of the range 0-65535: ${JSON.stringify(quotableUrl(url))}.`);
    }
    port = String(number);
  }
  return port === '' || port === DEFAULT_PORTS[scheme] ? hostname : `${hostname}:${port}`;
}

/**
 * `fetch` and the clients resolve the URL by WHATWG rules, which read `\` as `/`, drop
 * tabs and newlines, decode `%` escapes in the host and map IDNs and numeric IPv4 forms:
 * where that reading names another Host than ours, the request would go to a host the
 * signature was not made for. Refused rather than guessed; run once per origin.
 */
function assertSameHostAsWhatwg(prefix: string, host: string): void {
  let whatwg: string | undefined;
  try {
    whatwg = new URL(prefix).host;
  } catch {
    whatwg = undefined;
  }
  if (whatwg !== host) {
    throw new ConfigurationError('ERR_INVALID_URL',
      `request.url ${JSON.stringify(quotableUrl(prefix))} names the host "${truncate(host)}" to the signer but ${whatwg === undefined ? 'no valid host' : `"${truncate(whatwg)}"`} to fetch and Node's URL: ` +
        'write the host plainly (lower-case ASCII or punycode, no "\\", "%", spaces or control characters in the authority).');
  }
}

/**
 * A URL as an error message or a record may quote it: everything from `://` to its last `@`
 * dropped. The last `@`, not the end of the authority: a password may hold `/`, `?` or `#`
 * unencoded, and then no parser can say where the userinfo ends. A path or query with an `@`
 * in it loses more than it needs to, which is the side to err on.
 */
export function withoutUserinfo(url: string): string {
  const start = url.indexOf('://');
  const at = url.lastIndexOf('@');
  return start === -1 || at < start ? url : url.slice(0, start + 3) + url.slice(at + 1);
}

/**
 * A URL as an error message may quote it: without userinfo (withoutUserinfo), and without its
 * query and fragment, which carry a presigned URL's token and signature (and any API key a
 * caller put there); a message names what is wrong with the scheme, host or port, never those.
 */
export function quotableUrl(url: string): string {
  return truncate(withoutUserinfo(url).replace(/[?#][\s\S]*$/, (rest) => `${rest[0]}...`));
}
