/**
 * The proxy's kept-alive connections to the target, each closed once idle for less than the
 * target's own idle timeout. A target that closes an idle connection as a request reuses it
 * fails that request before any answer, and a request not safe to repeat then gets a 502
 * (./resend-policy.ts): closing first, on our side, takes that race away.
 *
 * How long, as undici's keepAliveTimeout does it: a target that announces its timeout
 * (`Keep-Alive: timeout=N`, RFC 2068 19.7.1.1, sent by Node, Apache and others) is left a
 * margin of a second before it; one that announces none gets `idleMs` (default 4 s, under
 * the 5 s of Node's and Apache's servers, the shortest common ones). Node's Agent reads the
 * hint too, but only to shorten its `timeout` option, which also bounds active sockets, and
 * not at all on Node 18: the pool sets the idle timeout itself.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';

export const DEFAULT_UPSTREAM_IDLE_MS = 4000;
// What a request needs to cross to the target and the target's timer to fire early, with room.
const HINT_MARGIN_MS = 1000;
// A target announcing hours (or a number past setTimeout's range) is not held to it.
const MAX_IDLE_MS = 600_000;
// TCP keep-alive probes on a kept socket: Node's default.
const TCP_KEEP_ALIVE_DELAY_MS = 1000;

/** How long a socket may stay idle after an answer with this Keep-Alive header; 0 or less: not kept. */
export function idleTimeoutOf(keepAlive: string | undefined, fallbackMs: number): number {
  // The operator keeps none (idleMs 0), whatever the target allows.
  if (fallbackMs <= 0) return 0;
  const hint = /(?:^|[\s,])timeout\s*=\s*(\d+)/i.exec(keepAlive ?? '')?.[1];
  return Math.min(hint === undefined ? fallbackMs : Number(hint) * 1000 - HINT_MARGIN_MS, MAX_IDLE_MS);
}

export class UpstreamPool {
  readonly agent: http.Agent;
  // What the last answer on each socket allowed: read when the agent is about to keep it.
  private readonly idle = new WeakMap<Duplex, number>();

  /** `idleMs` 0: no connection is kept. */
  constructor(target: URL, private readonly idleMs: number, tls?: https.AgentOptions) {
    this.agent = target.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
    // The Agent keeps a freed socket when this returns true (Node's documented override point).
    this.agent.keepSocketAlive = (socket: Duplex): boolean => {
      const ms = this.idle.get(socket) ?? idleTimeoutOf(undefined, this.idleMs);
      if (ms <= 0) return false;
      const tcp = socket as Duplex & { setKeepAlive(enable: boolean, delay: number): void; setTimeout(ms: number): void; unref(): void };
      tcp.setKeepAlive(true, TCP_KEEP_ALIVE_DELAY_MS);
      tcp.unref();
      // A free socket that times out is destroyed by the Agent; a request that reuses it sets its own.
      tcp.setTimeout(ms);
      return true;
    };
  }

  /** An answer's head arrived on `socket`: how long it may then stay idle. */
  answered(socket: Duplex, keepAlive: string | undefined): void {
    this.idle.set(socket, idleTimeoutOf(keepAlive, this.idleMs));
  }

  destroy(): void {
    this.agent.destroy();
  }
}
