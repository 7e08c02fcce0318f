import * as nodeCrypto from 'node:crypto';

// Node >= 20.12 / 21.7: one call, no Hash/Hmac object (each costs ~0.5-1 µs to make and more to collect).
type OneShotHash = (algorithm: string, data: string | Uint8Array, encoding: 'hex' | 'latin1') => string;
export const oneShotHash = (nodeCrypto as unknown as { hash?: OneShotHash }).hash;
