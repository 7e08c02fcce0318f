/**
 * AWS Signature Version 4, header and query (presigned) forms, a file per step of the
 * spec. The reference is botocore's `SigV4Auth`: for the same request this produces the
 * same canonical request, string to sign and signature, byte for byte.
 *
 * Why our own code rather than `aws4` or `@smithy/signature-v4`: on the same machine and
 * run, aws4 costs about 5x a careful signer per small request, and both copy a bulk body
 * before hashing it (bench/ prints the figures). Both stay in the tests as independent
 * checkers.
 *
 * | step | file |
 * | --- | --- |
 * | inputs refused before anything is signed | validate.ts, wire-url.ts |
 * | 1. canonical request: URI, query, headers, payload hash | canonical-uri.ts, canonical-query.ts, canonical-headers.ts, payload-hash.ts, canonical-request.ts |
 * | 2. string to sign (and the request time) | string-to-sign.ts |
 * | 3. signing key, 4. signature | signing-key.ts, node-crypto.ts (node:crypto) and web-crypto.ts (WebCrypto) behind crypto.ts's SigV4Crypto |
 * | the whole, header and query forms | sign.ts (node:crypto bound in node-sign.ts) |
 * | what is remembered between requests | caches.ts |
 *
 * Hot-path rules: no URL parsing through WHATWG `URL` per request (once per origin), no
 * object spread, the signing key cached per (secret, day, region, service), string bodies
 * hashed in slices (no body-sized UTF-8 copy), byte bodies hashed in place.
 */
import { nodeSigV4Crypto } from './node-crypto.js';
import { payloadHashWith } from './payload-hash.js';

export * from './types.js';
export { signRequestWith, presignRequestWith, signRequestAsyncWith, presignRequestAsyncWith } from './sign.js';
export { signRequest, presignRequest } from './node-sign.js';
export { prepareRequest, withPayloadHash, canonicalRequestOf, presignedQuery, type Prepared } from './canonical-request.js';
export type { SigV4Crypto } from './crypto.js';
export { nodeSigV4Crypto, updateWithString } from './node-crypto.js';
export { parseWireUrl, type WireUrl } from './wire-url.js';
export { canonicalUri, removeDotSegments, uriEncodePath } from './canonical-uri.js';
export { canonicalQuery, percentDecode } from './canonical-query.js';
export { canonicalHeaders, canonicalHeaderValue, trimAll, UNSIGNED_HEADERS, type HeadersToSign } from './canonical-headers.js';
export { credentialScope, stringToSign, toAmzDate, amzDateAt } from './string-to-sign.js';
export { signingKey, signature } from './signing-key.js';
export { assertCredentials } from './validate.js';
export { resetSigV4Caches } from './caches.js';

/** The hex SHA-256 of the body: byte bodies hashed in place, strings in UTF-8 slices. */
export function payloadHash(body: string | Uint8Array | null | undefined): string {
  return payloadHashWith(nodeSigV4Crypto, body);
}
