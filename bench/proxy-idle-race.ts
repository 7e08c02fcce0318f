/**
 * How often the signing proxy meets a kept-alive upstream socket that the target closed as a
 * request reused it, with and without an upstream idle timeout under the target's.
 *
 * On loopback: target (Node, closes idle connections after TARGET_IDLE_MS, no Keep-Alive hint)
 * <- a TCP forward adding ONE_WAY_MS each way (the network between a proxy and AWS) <- the
 * proxy <- one client sending GETs one after another, idle gaps drawn across the window where a
 * request crosses the target's FIN (from TARGET_IDLE_MS - 2 x ONE_WAY_MS to TARGET_IDLE_MS).
 * Counted from the proxy's metrics: stale sockets met, and connections opened.
 *
 *   npx tsx bench/proxy-idle-race.ts            (about 50 s, 2 x REQUESTS requests)
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { SigningProxy } from '../src/proxy/signing-proxy.js';

const TARGET_IDLE_MS = 500;
const ONE_WAY_MS = 30;
const REQUESTS = Number(process.env.REQUESTS ?? 40);
const CREDENTIALS = { accessKeyId: 'AKIDIDLERACE00000001', secretAccessKey: 'idle/Race+Secret/0123456789abcdefghijklm' };

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Bytes and FINs passed on after `ms`, in order, both ways. */
function delayed(from: net.Socket, to: net.Socket, ms: number): void {
  from.on('data', (chunk: Buffer) => setTimeout(() => { if (!to.destroyed) to.write(chunk); }, ms));
  from.on('end', () => setTimeout(() => to.end(), ms));
  from.on('error', () => to.destroy());
  from.on('close', () => setTimeout(() => to.destroy(), ms + 5));
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/_cluster/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

async function run(idleMs: number): Promise<{ stale: number; connections: number; failed: number }> {
  // Its own idle timer, exact (Node's keepAliveTimeout waits a second more than it says).
  const timers = new WeakMap<net.Socket, NodeJS.Timeout>();
  const target = http.createServer((req, res) => {
    clearTimeout(timers.get(req.socket));
    res.setHeader('connection', 'keep-alive'); // no Keep-Alive hint
    req.resume();
    req.on('end', () => res.end('{}', () => timers.set(req.socket, setTimeout(() => req.socket.end(), TARGET_IDLE_MS))));
  });
  target.keepAliveTimeout = 0;
  const targetPort = await listen(target);
  const forward = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    delayed(client, upstream, ONE_WAY_MS);
    delayed(upstream, client, ONE_WAY_MS);
  });
  const forwardPort = await listen(forward);
  const proxy = await SigningProxy.start({ target: `http://127.0.0.1:${forwardPort}`, upstreamIdleTimeoutMs: idleMs, metricsPath: '/metrics', signing: { region: 'us-east-1', service: 'es', credentials: CREDENTIALS } });
  let failed = 0;
  for (let i = 0; i < REQUESTS; i++) {
    if ((await get(proxy.port)) !== 200) failed++;
    // Spread evenly over a window a little wider than the crossing's (T - 2 x one way, T).
    const gap = TARGET_IDLE_MS - 3 * ONE_WAY_MS + Math.round((i / REQUESTS) * 4 * ONE_WAY_MS);
    await new Promise((resolve) => setTimeout(resolve, gap));
  }
  const metrics = await new Promise<string>((resolve) => {
    http.get({ host: '127.0.0.1', port: proxy.port, path: '/metrics', agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve(text));
    });
  });
  const stale = [...metrics.matchAll(/^aws_sigv4_proxy_upstream_stale_sockets_total\{outcome="[^"]+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  const connections = proxy.stats.upstreamConnections;
  await proxy.close();
  target.closeAllConnections();
  await new Promise<void>((resolve) => target.close(() => resolve()));
  await new Promise<void>((resolve) => forward.close(() => resolve()));
  return { stale, connections, failed };
}

async function main(): Promise<void> {
  console.log(`target idle timeout ${TARGET_IDLE_MS} ms, no hint; ${ONE_WAY_MS} ms each way; ${REQUESTS} sequential GETs, gaps ${TARGET_IDLE_MS - 3 * ONE_WAY_MS}..${TARGET_IDLE_MS + ONE_WAY_MS} ms`);
  console.log('| proxy upstream idle timeout | stale sockets met | upstream connections | failed |');
  console.log('| --- | --- | --- | --- |');
  for (const [label, idleMs] of [['none (as before: kept until the target closes)', 600_000], [`${TARGET_IDLE_MS - 100} ms (under the target's, as 4 s is under Node's 5 s)`, TARGET_IDLE_MS - 100]] as const) {
    const { stale, connections, failed } = await run(idleMs);
    console.log(`| ${label} | ${stale} / ${REQUESTS} | ${connections} | ${failed} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
