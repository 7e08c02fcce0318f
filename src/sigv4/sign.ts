/**
 * The whole algorithm, header form and query (presigned URL) form, as the spec lays it
 * out: canonical request (step 1), string to sign (2), signing key (3), signature (4).
 * This is the one place where the crypto is called; everything before it is strings.
 * Each form is two halves around the crypto (the canonical request, then the result),
 * driven by a synchronous driver (node:crypto) and an asynchronous one (WebCrypto) that
 * differ only in `await`. No Node built-in here: node-sign.ts binds node:crypto.
 */
import { canonicalHeaders } from './canonical-headers.js';
import type { SigV4Crypto } from './crypto.js';
import { canonicalRequestOf, prepareRequest, presignedQuery, withPayloadHash, type Prepared } from './canonical-request.js';
import { payloadHashWith } from './payload-hash.js';
import { credentialScope, stringToSign } from './string-to-sign.js';
import { ALGORITHM, type PresignedRequest, type PresignOptions, type SignableRequest, type SignedRequest, type SignOptions } from './types.js';
import { assertExpiresIn } from './validate.js';

/** Step 1 done: what the string to sign and the result are made from. */
interface Canonical { signedHeaders: string; canonicalRequest: string; scope: string; query: string }

function canonicalOf(p: Prepared, payload: string, expiresIn: number | undefined): Canonical {
  withPayloadHash(p, payload);
  const headers = canonicalHeaders(p.toSign);
  const signedHeaders = headers.signedHeaders;
  const scope = credentialScope(p.day, p.region, p.service);
  const query = expiresIn === undefined
    ? p.wire.query
    : presignedQuery(p.wire.query, p.credentials.accessKeyId, scope, p.amzDate, expiresIn, p.credentials.sessionToken, signedHeaders);
  return { signedHeaders, canonicalRequest: canonicalRequestOf(p, query, headers, payload), scope, query };
}

function headerResult(p: Prepared, c: Canonical, toSign: string, sig: string): SignedRequest {
  p.out.authorization = `${ALGORITHM} Credential=${p.credentials.accessKeyId}/${c.scope}, SignedHeaders=${c.signedHeaders}, Signature=${sig}`;
  return { headers: p.out, signedHeaders: c.signedHeaders, canonicalRequest: c.canonicalRequest, stringToSign: toSign, signature: sig };
}

function queryResult(request: SignableRequest, p: Prepared, c: Canonical, toSign: string, sig: string): PresignedRequest {
  const base = typeof request.url === 'string' ? request.url.replace(/[?#].*$/s, '') : `${request.url.origin}${request.url.pathname}`;
  return { url: `${base}?${c.query}&X-Amz-Signature=${sig}`, headers: p.out, signedHeaders: c.signedHeaders, canonicalRequest: c.canonicalRequest, stringToSign: toSign, signature: sig };
}

function expiresInOf(options: PresignOptions): number {
  const expiresIn = options?.expiresIn ?? 900;
  assertExpiresIn(expiresIn);
  return expiresIn;
}

/** Signs a request with the Authorization header, as botocore's SigV4Auth.add_auth does. */
export function signRequestWith<Key>(crypto: SigV4Crypto<Key>, request: SignableRequest, options: SignOptions): SignedRequest {
  const p = prepareRequest(request, options, true);
  const c = canonicalOf(p, p.knownPayloadHash ?? payloadHashWith(crypto, request.body), undefined);
  const toSign = stringToSign(p.amzDate, c.scope, crypto.sha256Hex(c.canonicalRequest));
  return headerResult(p, c, toSign, crypto.hmacHex(crypto.signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign));
}

/**
 * Signs a request in the query (presigned URL) form: the X-Amz-* parameters go in the
 * query string instead of headers. Only the headers given (and host) are signed.
 */
export function presignRequestWith<Key>(crypto: SigV4Crypto<Key>, request: SignableRequest, options: PresignOptions): PresignedRequest {
  const expiresIn = expiresInOf(options);
  const p = prepareRequest(request, options, false);
  const c = canonicalOf(p, p.knownPayloadHash ?? payloadHashWith(crypto, request.body), expiresIn);
  const toSign = stringToSign(p.amzDate, c.scope, crypto.sha256Hex(c.canonicalRequest));
  return queryResult(request, p, c, toSign, crypto.hmacHex(crypto.signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign));
}

/** signRequestWith over an asynchronous crypto (WebCrypto). */
export async function signRequestAsyncWith<Key>(crypto: SigV4Crypto<Key, Promise<string>>, request: SignableRequest, options: SignOptions): Promise<SignedRequest> {
  const p = prepareRequest(request, options, true);
  const c = canonicalOf(p, p.knownPayloadHash ?? await payloadHashWith(crypto, request.body), undefined);
  const toSign = stringToSign(p.amzDate, c.scope, await crypto.sha256Hex(c.canonicalRequest));
  return headerResult(p, c, toSign, await crypto.hmacHex(crypto.signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign));
}

/** presignRequestWith over an asynchronous crypto (WebCrypto). */
export async function presignRequestAsyncWith<Key>(crypto: SigV4Crypto<Key, Promise<string>>, request: SignableRequest, options: PresignOptions): Promise<PresignedRequest> {
  const expiresIn = expiresInOf(options);
  const p = prepareRequest(request, options, false);
  const c = canonicalOf(p, p.knownPayloadHash ?? await payloadHashWith(crypto, request.body), expiresIn);
  const toSign = stringToSign(p.amzDate, c.scope, await crypto.sha256Hex(c.canonicalRequest));
  return queryResult(request, p, c, toSign, await crypto.hmacHex(crypto.signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign));
}
