/**
 * SigV4Crypto on node:crypto, synchronous, with what makes it fast: one-shot `crypto.hash`
 * where Node has it (for bytes, and strings up to a slice), longer strings hashed in UTF-8
 * slices (no body-sized copy), bytes in place, and the signing key and HMAC pads of
 * signing-key.ts.
 */
import { createHash, type Hash } from 'node:crypto';
import type { SigV4Crypto } from './crypto.js';
import { oneShotHash } from './one-shot-hash.js';
import { signature, signingKey } from './signing-key.js';

/** Characters per slice: large enough to amortise the call, small enough to stay in cache. */
const STRING_SLICE = 64 * 1024;

export function sha256Hex(data: string | Uint8Array): string {
  if (typeof data === 'string') {
    if (data.length <= STRING_SLICE && oneShotHash !== undefined) return oneShotHash('sha256', data, 'hex');
    const hash = createHash('sha256');
    updateWithString(hash, data);
    return hash.digest('hex');
  }
  // One call over the bytes in place: no Hash object to make and collect (~1.5% of a 1 MiB body).
  if (oneShotHash !== undefined) return oneShotHash('sha256', data, 'hex');
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Feeds a string's UTF-8 bytes to a hash without making a body-sized copy: Node encodes a
 * string argument to a temporary buffer of its full size, so a 16 MiB body is fed in
 * 64 Ki-character slices, each cut before a lone high surrogate so no pair is split.
 */
export function updateWithString(hash: Hash, text: string): void {
  const length = text.length;
  if (length <= STRING_SLICE) { hash.update(text, 'utf8'); return; }
  let start = 0;
  while (start < length) {
    let end = start + STRING_SLICE;
    if (end >= length) end = length;
    else {
      const c = text.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff) end -= 1;
    }
    hash.update(text.slice(start, end), 'utf8');
    start = end;
  }
}

export const nodeSigV4Crypto: SigV4Crypto<Buffer> = { sha256Hex, signingKey, hmacHex: signature };
