/**
 * The signer's hashing on WebCrypto (`crypto.subtle`: Workers, Deno, Bun, browsers, Node
 * 18+), asynchronous: the same three primitives as node-crypto.ts, so the steps and the
 * composition stay one. What keeps it fast: the signing key derived once per (secret, day,
 * region, service) and kept as an imported CryptoKey (no importKey per request), UTF-8
 * encoding done once per input, and hex through a lookup table.
 */

import { isSharedBuffer, utf8Bytes, type SigV4Crypto } from './crypto.js';

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HMAC = { name: 'HMAC', hash: 'SHA-256' } as const;
/** As for node:crypto's cache: a client signs with one key a day, a proxy with a few. */
const SIGNING_KEY_CACHE_SIZE = 64;

function hex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

// Found once at load, and a missing one is a throw at first use, never at import. Node 18
// has the global only behind --experimental-global-webcrypto: there, Node's build of the
// entry (web-node.ts) hands in node:crypto's, which this module cannot import (it is also
// bundled for runtimes without Node built-ins).
let subtleCrypto: SubtleCrypto | undefined = globalThis.crypto?.subtle;

/** Node's build of the entry, where the runtime has no global WebCrypto (Node 18): node:crypto's. */
export function provideSubtleCrypto(subtle: SubtleCrypto): void {
  subtleCrypto ??= subtle;
}

function subtle(): SubtleCrypto {
  // Read again only when missing: a polyfill installed after the import still counts.
  const s = subtleCrypto ?? (subtleCrypto = globalThis.crypto?.subtle);
  if (s === undefined) throw new TypeError('WebCrypto (globalThis.crypto.subtle) is not available in this runtime: aws-sigv4-connection/fetch needs it.');
  return s;
}

/**
 * The bytes to digest. WebCrypto refuses a view of shared memory (signRequest's caller may
 * pass one, as node:crypto takes it): such a view is hashed from a copy, so both entries sign
 * the same bytes the same way. The cast only narrows the type to say no other view is shared.
 */
const bytesOf = (data: string | Uint8Array): Uint8Array<ArrayBuffer> =>
  (typeof data === 'string' ? utf8Bytes(data) : isSharedBuffer(data.buffer) ? new Uint8Array(data) : data) as Uint8Array<ArrayBuffer>;

async function hmacBytes(key: BufferSource, data: string): Promise<ArrayBuffer> {
  const k = await subtle().importKey('raw', key, HMAC, false, ['sign']);
  return subtle().sign('HMAC', k, utf8Bytes(data));
}

async function deriveSigningKey(secretAccessKey: string, day: string, region: string, service: string): Promise<CryptoKey> {
  const kDate = await hmacBytes(utf8Bytes(`AWS4${secretAccessKey}`), day);
  const kRegion = await hmacBytes(kDate, region);
  const kService = await hmacBytes(kRegion, service);
  const kSigning = await hmacBytes(kService, 'aws4_request');
  return subtle().importKey('raw', kSigning, HMAC, false, ['sign']);
}

const signingKeys = new Map<string, Promise<CryptoKey>>();
let lastKey: { secret: string; day: string; region: string; service: string; key: Promise<CryptoKey> } | undefined;

export const webSigV4Crypto: SigV4Crypto<Promise<CryptoKey>, Promise<string>> = {
  /** Hex SHA-256 of a string's UTF-8 bytes, or of bytes. */
  async sha256Hex(data: string | Uint8Array): Promise<string> {
    return hex(await subtle().digest('SHA-256', bytesOf(data)));
  },

  /**
   * kSigning as a non-extractable CryptoKey, cached: concurrent first requests share one
   * derivation (the promise is cached), and a failed derivation is not kept.
   */
  signingKey(secretAccessKey: string, day: string, region: string, service: string): Promise<CryptoKey> {
    const last = lastKey;
    if (last !== undefined && last.day === day && last.secret === secretAccessKey && last.region === region && last.service === service) return last.key;
    const cacheKey = `${day}\n${region}\n${service}\n${secretAccessKey}`;
    let key = signingKeys.get(cacheKey);
    if (key === undefined) {
      key = deriveSigningKey(secretAccessKey, day, region, service);
      if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.clear();
      signingKeys.set(cacheKey, key);
      key.catch(() => {
        if (signingKeys.get(cacheKey) === key) signingKeys.delete(cacheKey);
        if (lastKey?.key === key) lastKey = undefined;
      });
    }
    lastKey = { secret: secretAccessKey, day, region, service, key };
    return key;
  },

  /** Hex HMAC-SHA256 of `text`'s UTF-8 bytes under a signing key: the signature. */
  async hmacHex(key: Promise<CryptoKey>, text: string): Promise<string> {
    return hex(await subtle().sign('HMAC', await key, utf8Bytes(text)));
  },
};

/** Forgets the cached signing keys: for tests that must see a cold signer. */
export function resetWebSigningKeys(): void {
  signingKeys.clear();
  lastKey = undefined;
}
