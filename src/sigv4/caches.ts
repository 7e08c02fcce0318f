/**
 * Every memo of the signer, in one place: each is a bet that the next request looks like
 * the last one (same origin, token, second, scope), which nearly every request of a
 * client wins. Kept out of the step modules so that a test can start from cold with one
 * call, and so that what the signer remembers between requests can be read in one file.
 *
 * No secret is reachable from a printable object through these: the module exports the
 * one `caches` object, and nothing public holds it.
 */

/** HMAC pads of one signing key: see signing-key.ts. Typed as bytes so this module needs no Buffer. */
export interface HmacPads<Bytes extends Uint8Array = Uint8Array> { inner: Bytes; outer: Bytes; view: Bytes }

export interface SigV4Caches {
  /** The last URL origin parsed (a client signs for one endpoint). */
  origin: { prefix: string; scheme: string; host: string } | undefined;
  /** The last session token, checked and trimmed (~1 KB, the same for hours). */
  token: { raw: string; trimmed: string };
  /** The last secret access key that passed its check (assertCredentials in validate.ts). */
  secret: string;
  /** The last access key id that passed its check (assertCredentials in validate.ts). */
  accessKeyId: string;
  /** The last wire path and its canonical URI (a client sends the same `/_bulk` or search path again and again). */
  canonicalUri: { path: string; canonical: string };
  /** The x-amz-date of the last second signed in (NaN before any: no second matches it). */
  amzDate: { second: number; text: string };
  /** The last region and service that passed validation. */
  scope: { region: string; service: string };
  /** Header names that passed the token check: a client sends the same few on every request. */
  headerNames: Set<string>;
  /** Signing keys per (day, region, service, secret), and the last one used. */
  signingKeys: Map<string, Uint8Array>;
  lastKey: { secret: string; day: string; region: string; service: string; key: Uint8Array } | undefined;
  /** HMAC pads per signing key, and the last pair used. */
  pads: WeakMap<Uint8Array, HmacPads>;
  lastPadsKey: Uint8Array | undefined;
  lastPads: HmacPads | undefined;
}

export const SIGNING_KEY_CACHE_SIZE = 64;
export const HEADER_NAME_CACHE_SIZE = 256;

export const caches: SigV4Caches = {
  origin: undefined,
  token: { raw: '', trimmed: '' },
  secret: '',
  accessKeyId: '',
  canonicalUri: { path: '', canonical: '' },
  amzDate: { second: NaN, text: '' },
  scope: { region: '', service: '' },
  headerNames: new Set(),
  signingKeys: new Map(),
  lastKey: undefined,
  pads: new WeakMap(),
  lastPadsKey: undefined,
  lastPads: undefined,
};

/** Forgets everything remembered between requests: for tests that must see a cold signer. */
export function resetSigV4Caches(): void {
  caches.origin = undefined;
  caches.token = { raw: '', trimmed: '' };
  caches.secret = '';
  caches.accessKeyId = '';
  caches.canonicalUri = { path: '', canonical: '' };
  caches.amzDate = { second: NaN, text: '' };
  caches.scope = { region: '', service: '' };
  caches.headerNames.clear();
  caches.signingKeys.clear();
  caches.lastKey = undefined;
  caches.pads = new WeakMap();
  caches.lastPadsKey = undefined;
  caches.lastPads = undefined;
}
