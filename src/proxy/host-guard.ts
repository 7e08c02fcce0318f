/**
 * Who may use the proxy from a browser. A page the user visits can send "simple"
 * cross-site requests (a form POST) to 127.0.0.1, and with DNS rebinding reach it under
 * a name of its own: the proxy would sign both with the user's identity. So a request
 * must name the proxy by a name it is reached by (Host), and a browser request must come
 * from the proxy's own origin or one the user allows. Tools send no Origin and pass.
 *
 * A browser reads an allowed origin's answers only with CORS headers, and sends a preflight
 * (OPTIONS) before most of its requests. AWS domains answer neither, so the proxy answers
 * the preflight itself and adds Access-Control-Allow-Origin to what goes back.
 */
import { isIPv6 } from 'node:net';
import { networkInterfaces, hostname } from 'node:os';

export interface HostGuardOptions {
  /** The address the proxy listens on. */
  listenHost: string;
  port: number;
  /** Host names (without port) accepted besides the listen address and loopback names. */
  allowHosts?: readonly string[];
  /** Origins (`https://dashboards.example.com`) whose browser requests are accepted; '*' for any. */
  allowOrigins?: readonly string[];
}

export type GuardRefusal = { kind: 'host' | 'origin'; message: string };

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
// What the proxy forwards (every other method it refuses), as preflights and Allow name it.
export const FORWARDED = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const FORWARDED_METHODS = [...FORWARDED].join(', ');
// Browsers cap it themselves (Chromium at 2 h); 10 min spares a preflight per request without pinning a policy for long.
const PREFLIGHT_MAX_AGE_S = 600;
const WILDCARDS = new Set(['0.0.0.0', '::', '']);
// `[IPv6]` (its form checked by isIPv6), or dot-separated labels, none empty (a name or an
// IPv4 address); then an optional port. Zone IDs and IPvFuture literals are no Host we answer to.
const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_-]+(?:\.[a-z0-9_-]+)*))(?::(\d{1,5}))?$/;

export class HostGuard {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;

  constructor(private readonly options: HostGuardOptions) {
    const names = [...LOOPBACK_NAMES, options.listenHost, ...(options.allowHosts ?? [])];
    // Bound to every interface: reached by any of the machine's own addresses and its name.
    if (WILDCARDS.has(options.listenHost)) {
      names.push(hostname());
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.push(i.address);
    }
    this.hosts = new Set(names.map(bareHost));
    this.origins = new Set((options.allowOrigins ?? []).map((o) => o.replace(/\/+$/, '').toLowerCase()));
  }

  /**
   * undefined when the request may go on, else why not (a 403). `rawHeaders` (the request's
   * header lines): Node keeps the first of several Host lines, where a server in front may
   * route by another, so more than one is refused (RFC 9112 3.2) rather than one chosen.
   */
  check(headers: { host?: string; origin?: string; 'sec-fetch-site'?: string | string[] }, rawHeaders: readonly string[] = [], hostOptional = false): GuardRefusal | undefined {
    if (hostLines(rawHeaders) > 1) {
      return { kind: 'host', message: 'aws-sigv4-connection proxy: the request has more than one Host header line; HTTP allows one, and a server in front of this proxy may have read another. Send one Host.' };
    }
    const host = headers.host;
    // Node refuses HTTP/1.1 without Host; an HTTP/1.0 request may lack it. Refused, so the
    // guard never waves through what it did not see, but for a probe of the health and
    // readiness paths (HAProxy's default check sends none), which answer no detail.
    if (host === undefined && !hostOptional) {
      return { kind: 'host', message: `aws-sigv4-connection proxy: the request has no Host header, which names who it is for. Send one (Host: 127.0.0.1:${this.options.port}); HTTP/1.1 clients always do.` };
    }
    const refusedHost = host === undefined ? undefined : this.checkHost(host);
    if (refusedHost !== undefined) return refusedHost;
    const origin = headers.origin;
    if (origin !== undefined) {
      if (this.allowsOrigin(origin, host)) return undefined;
      return {
        kind: 'origin',
        message: `aws-sigv4-connection proxy: a browser request from origin "${origin.slice(0, 100)}" is refused: a web page would act with this proxy's AWS identity. ` +
          `To allow that origin, start the proxy with --allow-origin ${origin.slice(0, 100)}.`,
      };
    }
    const site = headers['sec-fetch-site'];
    const fetchSite = Array.isArray(site) ? site[0] : site;
    if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none' && !this.origins.has('*')) {
      return {
        kind: 'origin',
        message: `aws-sigv4-connection proxy: a ${fetchSite} browser request is refused: a web page would act with this proxy's AWS identity. ` +
          'To allow browsers from elsewhere, start the proxy with --allow-origin ORIGIN (or --allow-origin "*").',
      };
    }
    return undefined;
  }

  private checkHost(host: string): GuardRefusal | undefined {
    const name = hostName(host);
    if (name === undefined) {
      return {
        kind: 'host',
        message: `aws-sigv4-connection proxy: Host "${host.slice(0, 100)}" is not a host name, IPv4 address or [IPv6] address with an optional :port, so it names no host this proxy is reached by.`,
      };
    }
    if (this.hosts.has(name)) return undefined;
    return {
      kind: 'host',
      message: `aws-sigv4-connection proxy: Host "${host.slice(0, 100)}" is not a name this proxy is reached by (a DNS rebinding page would send one). ` +
        `If it is yours, start the proxy with --allow-host ${name.slice(0, 100)}.`,
    };
  }

  private allowsOrigin(origin: string, host: string | undefined): boolean {
    const normal = origin.toLowerCase();
    if (this.origins.has('*') || this.origins.has(normal)) return true;
    // The proxy's own pages (same origin): the origin's host:port is the Host it was sent to.
    try {
      const url = new URL(origin);
      return host !== undefined && url.host.toLowerCase() === host.toLowerCase() && this.hosts.has(bareHost(url.host));
    } catch {
      return false; // `Origin: null` (sandboxed frames, file:) is a browser, from nowhere we know.
    }
  }
}

/** A preflight: an OPTIONS a browser sends before a cross-origin request, to ask whether it may. */
export function isPreflight(method: string, headers: { origin?: string; 'access-control-request-method'?: string }): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

/** The CORS headers on every answer to a browser request that passed check(): its origin may read it. */
export function corsHeaders(origin: string | undefined): Record<string, string> {
  return origin === undefined ? {} : { 'access-control-allow-origin': origin, vary: 'Origin' };
}

/**
 * The target's raw response headers with our `vary` (corsHeaders) merged into theirs, for an
 * answer forwarded to a browser. Theirs alone would let a cache hand one origin's answer, its
 * Allow-Origin with it, to another; ours alone would drop what the target varies by (a cache
 * serving a gzip body to a client that asked for none). One Vary line where theirs stood, each
 * name once in any case, `*` alone when they vary by everything.
 */
export function mergeVary(head: readonly string[], ours: string): string[] {
  const out: string[] = [];
  const names = new Map<string, string>();
  let at = -1;
  let spelling = 'vary';
  const add = (list: string): void => {
    for (const name of list.split(',').map((n) => n.trim())) {
      if (name !== '' && !names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
    }
  };
  for (let i = 0; i + 1 < head.length; i += 2) {
    if (head[i]!.toLowerCase() !== 'vary') {
      out.push(head[i]!, head[i + 1]!);
      continue;
    }
    if (at < 0) {
      at = out.length;
      spelling = head[i]!;
    }
    add(head[i + 1]!);
  }
  add(ours);
  out.splice(at < 0 ? out.length : at, 0, spelling, names.has('*') ? '*' : [...names.values()].join(', '));
  return out;
}

/**
 * The answer (204) to a preflight from an origin check() passed: the methods forwarded, the
 * headers it asked for and, when it asks (Private Network Access: a public page reaching this
 * proxy on loopback or a private address), leave to do so. The origin is one the user named,
 * so it gets what it asks; without that header Chromium drops such a request with no answer.
 */
export function preflightHeaders(headers: { origin?: string; 'access-control-request-headers'?: string; 'access-control-request-private-network'?: string }): Record<string, string> {
  const out: Record<string, string> = {
    ...corsHeaders(headers.origin),
    'access-control-allow-methods': FORWARDED_METHODS,
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network',
  };
  const asked = headers['access-control-request-headers'];
  if (asked !== undefined && asked.trim() !== '') out['access-control-allow-headers'] = asked;
  if (headers['access-control-request-private-network']?.trim().toLowerCase() === 'true') out['access-control-allow-private-network'] = 'true';
  return out;
}

/**
 * What to tell the user about the origins allowed, if anything: "*" and "null" let any web
 * page the user visits act with the proxy's AWS identity.
 */
export function originWarning(allowOrigins: readonly string[] | undefined): string | undefined {
  const origins = new Set((allowOrigins ?? []).map((o) => o.trim().toLowerCase()));
  if (origins.has('*')) {
    return '--allow-origin "*": any web page open in a browser that reaches this proxy can send it requests and read the answers, acting with its AWS identity. Name the origins instead (--allow-origin https://grafana.example.com).';
  }
  if (origins.has('null')) {
    return '--allow-origin null: browsers send Origin: null from sandboxed frames and file: pages, and any web page can open a sandboxed frame, so this lets every page act with this proxy\'s AWS identity, as "*" does. Name the origins instead.';
  }
  return undefined;
}

/**
 * A Host header's host, lower case, without port or IPv6 brackets; undefined unless the value
 * is exactly `host[:port]` (RFC 9110 7.2). Read leniently, `[::1].evil.example` would be
 * `::1`, a loopback name: what a name is made of is checked here, before it is looked up.
 */
function hostName(header: string): string | undefined {
  const match = HOST_HEADER.exec(header.trim().toLowerCase());
  if (match === null) return undefined;
  const [, ipv6, name, port] = match;
  if (port !== undefined && Number(port) > 65_535) return undefined;
  if (ipv6 !== undefined) return isIPv6(ipv6) ? ipv6 : undefined;
  return name;
}

function hostLines(rawHeaders: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'host') n++;
  return n;
}

/** A configured host name or address (the listen address, --allow-host, the machine's own), lower case, without port or IPv6 brackets. */
function bareHost(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colons = h.split(':').length - 1;
  return colons === 1 ? h.slice(0, h.indexOf(':')) : h;
}
