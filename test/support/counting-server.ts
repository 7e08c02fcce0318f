/** A loopback HTTP server that answers `{}` and counts what reaches it: the "nothing was sent" check of the hostile-input tests. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resetSigV4Caches } from '../../src/sigv4.js';

export class CountingServer {
  hits = 0;
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(): Promise<CountingServer> {
    let counting: CountingServer | undefined;
    const server = createServer((req, res) => {
      counting!.hits++;
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    counting = new CountingServer(server, (server.address() as AddressInfo).port);
    return counting;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

/**
 * One CountingServer for a describe block: started before it, closed after, its count and the
 * signer's caches reset before each test (so a memoised check cannot hide a refusal).
 */
export function useCountingServer(): { readonly port: number; hits: number } {
  let server: CountingServer | undefined;
  before(async function () {
    server = await CountingServer.start();
  });
  after(async function () {
    await server?.close();
  });
  beforeEach(function () {
    resetSigV4Caches();
    server!.hits = 0;
  });
  return {
    get port() { return server!.port; },
    get hits() { return server!.hits; },
    set hits(count: number) { server!.hits = count; },
  };
}
