/**
 * The hashing the algorithm needs, behind one interface, so that the steps stay plain
 * string functions and one composition (sign.ts) serves every runtime: node:crypto here
 * (synchronous, node-crypto.ts) or WebCrypto (web-crypto.ts), which returns the same values as promises.
 */
export interface SigV4Crypto<Key = unknown, Hex extends string | Promise<string> = string> {
  /** Hex SHA-256 of a string's UTF-8 bytes, or of bytes. */
  sha256Hex(data: string | Uint8Array): Hex;
  /** kSigning = HMAC chain over day, region, service and "aws4_request", from `AWS4` + secret. */
  signingKey(secretAccessKey: string, day: string, region: string, service: string): Key;
  /** Hex HMAC-SHA256 of `text`'s UTF-8 bytes under a signing key: the signature. */
  hmacHex(key: Key, text: string): Hex;
}

/** The part of node:crypto's Hash that hashes a streamed body while it is read (WebCrypto has no incremental hash). */
export interface IncrementalSha256 {
  update(chunk: Uint8Array): unknown;
  digest(encoding: 'hex'): string;
}

/**
 * True when `buffer` is a SharedArrayBuffer (of this realm or another; where memory cannot be
 * shared, the global is absent and no buffer is one). fetch and WebCrypto refuse a view of
 * one, and another thread may change it while it is read: a body of it is copied first.
 */
export function isSharedBuffer(buffer: unknown): boolean {
  return !(buffer instanceof ArrayBuffer) && Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}

// Made on first use: jsdom (Jest's browser environment) has no TextEncoder, and loading the
// package there must not fail for a global that only some requests need.
let encoder: TextEncoder | undefined;

/** The UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array<ArrayBuffer> {
  return (encoder ??= new TextEncoder()).encode(text) as Uint8Array<ArrayBuffer>;
}
