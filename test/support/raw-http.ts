/**
 * Raw bytes to a server on loopback, for what no HTTP client sends (ambiguous framing, two Host
 * lines, a CONNECT, a body that never comes): everything read until the server closes, or until
 * `waitMs` passes.
 */
import net from 'node:net';

export function rawExchange(port: number, bytes: string, waitMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    const done = (): void => { clearTimeout(timer); socket.destroy(); resolve(text); };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    socket.on('error', done);
    socket.on('close', done);
  });
}
