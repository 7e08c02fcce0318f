/**
 * Steps 3 and 4 on node:crypto: the signing key, derived once per (secret, day, region,
 * service) and cached, and the signature, an HMAC of the string to sign under it.
 */
import { createHmac } from 'node:crypto';
import { caches, SIGNING_KEY_CACHE_SIZE, type HmacPads } from './caches.js';
import { oneShotHash } from './one-shot-hash.js';

/** kSigning = HMAC chain over day, region, service, "aws4_request"; cached, since it changes once a day. */
export function signingKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  // Nearly every request of a process signs with the previous one's key: compare, don't build a cache key.
  const last = caches.lastKey;
  if (last !== undefined && last.day === day && last.secret === secretAccessKey && last.region === region && last.service === service) return last.key as Buffer;
  const key = cachedSigningKey(secretAccessKey, day, region, service);
  caches.lastKey = { secret: secretAccessKey, day, region, service, key };
  return key;
}

function cachedSigningKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  const cacheKey = `${day}\n${region}\n${service}\n${secretAccessKey}`;
  let key = caches.signingKeys.get(cacheKey) as Buffer | undefined;
  if (key === undefined) {
    const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(day, 'utf8').digest();
    const kRegion = createHmac('sha256', kDate).update(region, 'utf8').digest();
    const kService = createHmac('sha256', kRegion).update(service, 'utf8').digest();
    key = createHmac('sha256', kService).update('aws4_request', 'utf8').digest();
    if (caches.signingKeys.size >= SIGNING_KEY_CACHE_SIZE) caches.signingKeys.clear();
    caches.signingKeys.set(cacheKey, key);
  }
  return key;
}

/**
 * HMAC-SHA256 = H((K ^ opad) || H((K ^ ipad) || m)), as two one-shot hashes: Node's Hmac
 * object costs more to make than the hashing itself on a ~140-byte string to sign. The
 * padded keys are made once per signing key; `view` is the inner buffer cut to the last
 * message length, which is the same for every request of a (day, region, service).
 */
function padsFor(key: Buffer): HmacPads<Buffer> {
  let pads = caches.pads.get(key) as HmacPads<Buffer> | undefined;
  if (pads === undefined) {
    const inner = Buffer.alloc(64 + 512, 0x36);
    const outer = Buffer.alloc(96, 0x5c);
    for (let i = 0; i < key.length; i++) { inner[i]! ^= key[i]!; outer[i]! ^= key[i]!; }
    pads = { inner, outer, view: inner.subarray(0, 64) };
    caches.pads.set(key, pads);
  }
  return pads;
}

export function signature(key: Buffer, toSign: string): string {
  // 512 bytes hold any string to sign of up to 170 UTF-16 units (a real one is ~140); beyond, the plain way.
  if (oneShotHash === undefined || key.length > 64 || toSign.length > 170) return createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  let pads = caches.lastPads as HmacPads<Buffer> | undefined;
  if (caches.lastPadsKey !== key || pads === undefined) {
    pads = padsFor(key);
    caches.lastPadsKey = key;
    caches.lastPads = pads;
  }
  const length = 64 + pads.inner.write(toSign, 64, 'utf8');
  if (pads.view.length !== length) pads.view = pads.inner.subarray(0, length);
  // A 'buffer' digest costs a Buffer allocation (~0.5 µs); a latin1 string carries the same 32 bytes.
  pads.outer.write(oneShotHash('sha256', pads.view, 'latin1'), 64, 'latin1');
  return oneShotHash('sha256', pads.outer, 'hex');
}
