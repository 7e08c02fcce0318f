/** A loopback HTTP server that answers `{}` and counts what reaches it: the "nothing was sent" check of the hostile-input tests. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
