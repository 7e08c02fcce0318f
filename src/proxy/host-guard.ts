/**
 * Who may use the proxy from a browser. A page the user visits can send "simple"
 * cross-site requests (a form POST) to 127.0.0.1, and with DNS rebinding reach it under
 * a name of its own: the proxy would sign both with the user's identity. So a request
 * must name the proxy by a name it is reached by (Host), and a browser request must come
 * from the proxy's own origin or one the user allows. Tools send no Origin and pass.
 */
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
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

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

  /** undefined when the request may go on, else why not (a 403). */
  check(headers: { host?: string; origin?: string; 'sec-fetch-site'?: string | string[] }): GuardRefusal | undefined {
    const host = headers.host;
    if (host !== undefined && !this.hosts.has(bareHost(host))) {
      return {
        kind: 'host',
        message: `aws-sigv4-connection proxy: Host "${host.slice(0, 100)}" is not a name this proxy is reached by (a DNS rebinding page would send one). ` +
          `If it is yours, start the proxy with --allow-host ${bareHost(host).slice(0, 100)}.`,
      };
    }
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

/** A Host header or host name, lower case, without port or IPv6 brackets. */
function bareHost(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colons = h.split(':').length - 1;
  return colons === 1 ? h.slice(0, h.indexOf(':')) : h;
}
