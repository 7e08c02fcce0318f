/**
 * The default cap on the proxy's inbound connections: half the process's open-files soft
 * limit. Each connection holds a descriptor; when they run out, accept() and every
 * connection to the target fail alike, so one client opening idle connections would stop
 * all requests. Below the limit, new connections are dropped instead, and the kept-alive
 * ones, the upstream sockets and the files the signer reads still get descriptors.
 */
import { readFileSync } from 'node:fs';

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function openFilesSoftLimit(limits: string): number | undefined {
  const soft = /^Max open files\s+(\d+)\s/m.exec(limits)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/** Half the open-files soft limit (at least 1), or undefined (no cap) where it cannot be read. */
export function defaultMaxConnections(readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  let limits: string;
  try {
    limits = readLimits();
  } catch {
    return undefined;
  }
  const soft = openFilesSoftLimit(limits);
  return soft === undefined ? undefined : Math.max(1, Math.floor(soft / 2));
}
