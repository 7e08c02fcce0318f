/**
 * A TCP port forward on 127.0.0.1, like `ssh -L 9200:vpc-domain:443` or
 * `kubectl port-forward`: bytes are piped both ways untouched, and the connections it
 * opened are counted (to see keep-alive at work).
 */
import net, { type AddressInfo } from 'node:net';

export interface TcpForward {
  port: number;
  url: string;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

export async function startTcpForward(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpForward> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((client) => {
    state.connections++;
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
