/**
 * `aws-sigv4-connection/fetch` as Node loads it (Bun and Deno too): web.ts, plus node:crypto's
 * WebCrypto where the runtime has no global one (Node 18, without
 * --experimental-global-webcrypto). web.ts itself stays free of Node built-ins: it is also
 * the root of the ES modules for workers and browsers (scripts/build-fetch.mjs). Listed in
 * package.json `sideEffects`, so that a bundler which follows the re-export keeps the call.
 */
import { webcrypto } from 'node:crypto';
import { provideSubtleCrypto } from './sigv4/web-crypto.js';

// Once, at load; where the global exists (Node 20+) it wins and this is never read.
if (globalThis.crypto?.subtle === undefined) provideSubtleCrypto(webcrypto.subtle as SubtleCrypto);

export * from './web.js';
