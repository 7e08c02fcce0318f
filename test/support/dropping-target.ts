import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An upstream that answers the first request of each connection with keep-alive and, on the
 * next request of that connection, drops the socket unanswered: the race of a kept-alive
 * socket closed by the server just as the client reuses it, made to happen every time.
 */
export async function droppingTarget(): Promise<{ url: string; requests: () => number; connections: () => number; seen: () => string[]; close(): Promise<void> }> {
  let requests = 0;
  let connections = 0;
  // "METHOD /path" of each request read, answered or dropped.
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    requests++;
    seen.push(`${req.method} ${req.url}`);
    const served = req.socket as Socket & { served?: boolean };
    if (served.served) {
      req.socket.destroy();
      return;
    }
    served.served = true;
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    connections: () => connections,
    seen: () => [...seen],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
