/**
 * The whole algorithm, header form and query (presigned URL) form, as the spec lays it
 * out: canonical request (step 1), string to sign (2), signing key (3), signature (4).
 * This is the one place where the crypto is called; everything before it is strings.
 * Each form has a synchronous driver (node:crypto) and an asynchronous one (WebCrypto):
 * the same steps in the same order, differing only in `await`. They are written out twice
 * rather than shared through helpers because the synchronous one is the Node hot path and a
 * shared intermediate costs it 3-6% per small request (bench, BENCH_SIGV4_CANDIDATE A/B).
 * No Node built-in here: node-sign.ts binds node:crypto.
 */
import { canonicalHeaders } from './canonical-headers.js';
import type { SigV4Crypto } from './crypto.js';
import { canonicalRequestOf, prepareRequest, presignedQuery, withPayloadHash } from './canonical-request.js';
import { payloadHashWith } from './payload-hash.js';
import { credentialScope, stringToSign } from './string-to-sign.js';
import { ALGORITHM, type PresignedRequest, type PresignOptions, type SignableRequest, type SignedRequest, type SignOptions } from './types.js';

/** Signs a request with the Authorization header, as botocore's SigV4Auth.add_auth does. */
export function signRequestWith<Key>(crypto: SigV4Crypto<Key>, request: SignableRequest, options: SignOptions): SignedRequest {
  const p = prepareRequest(request, options, true);
  const payload = p.knownPayloadHash ?? payloadHashWith(crypto, p.body);
  withPayloadHash(p, payload);
  const headers = canonicalHeaders(p.toSign);
  const signedHeaders = headers.signedHeaders;
  const canonicalRequest = canonicalRequestOf(p, p.wire.query, headers, payload);
  const scope = credentialScope(p.day, p.region, p.service);
  const toSign = stringToSign(p.amzDate, scope, crypto.sha256Hex(canonicalRequest));
  const sig = crypto.hmacHex(crypto.signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign);
  p.out.authorization = `${ALGORITHM} Credential=${p.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${sig}`;
  return { headers: p.out, signedHeaders, canonicalRequest, stringToSign: toSign, signature: sig };
}

/**
 * Signs a request in the query (presigned URL) form: the X-Amz-* parameters go in the
 * query string instead of headers. Only the headers given (and host) are signed.
 */
export function presignRequestWith<Key>(crypto: SigV4Crypto<Key>, request: SignableRequest, options: PresignOptions): PresignedRequest {
  const p = prepareRequest(request, options, false);
  const payload = p.knownPayloadHash ?? payloadHashWith(crypto, p.body);
  withPayloadHash(p, payload);
  const headers = canonicalHeaders(p.toSign);
  const signedHeaders = headers.signedHeaders;
  const scope = credentialScope(p.day, p.region, p.service);
  const fullQuery = presignedQuery(p.wire.query, p.credentials.accessKeyId, scope, p.amzDate, p.expiresIn, p.credentials.sessionToken, signedHeaders);
  const canonicalRequest = canonicalRequestOf(p, fullQuery, headers, payload);
  const toSign = stringToSign(p.amzDate, scope, crypto.sha256Hex(canonicalRequest));
  const sig = crypto.hmacHex(crypto.signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign);
  const base = p.url.replace(/[?#].*$/s, '');
  return { url: `${base}?${fullQuery}&X-Amz-Signature=${sig}`, headers: p.out, signedHeaders, canonicalRequest, stringToSign: toSign, signature: sig };
}

/** signRequestWith over an asynchronous crypto (WebCrypto): the same steps, awaited. */
export async function signRequestAsyncWith<Key>(crypto: SigV4Crypto<Key, Promise<string>>, request: SignableRequest, options: SignOptions): Promise<SignedRequest> {
  const p = prepareRequest(request, options, true);
  const payload = p.knownPayloadHash ?? await payloadHashWith(crypto, p.body);
  withPayloadHash(p, payload);
  const headers = canonicalHeaders(p.toSign);
  const signedHeaders = headers.signedHeaders;
  const canonicalRequest = canonicalRequestOf(p, p.wire.query, headers, payload);
  const scope = credentialScope(p.day, p.region, p.service);
  const toSign = stringToSign(p.amzDate, scope, await crypto.sha256Hex(canonicalRequest));
  const sig = await crypto.hmacHex(crypto.signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign);
  p.out.authorization = `${ALGORITHM} Credential=${p.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${sig}`;
  return { headers: p.out, signedHeaders, canonicalRequest, stringToSign: toSign, signature: sig };
}

/** presignRequestWith over an asynchronous crypto (WebCrypto): the same steps, awaited. */
export async function presignRequestAsyncWith<Key>(crypto: SigV4Crypto<Key, Promise<string>>, request: SignableRequest, options: PresignOptions): Promise<PresignedRequest> {
  const p = prepareRequest(request, options, false);
  const payload = p.knownPayloadHash ?? await payloadHashWith(crypto, p.body);
  withPayloadHash(p, payload);
  const headers = canonicalHeaders(p.toSign);
  const signedHeaders = headers.signedHeaders;
  const scope = credentialScope(p.day, p.region, p.service);
  const fullQuery = presignedQuery(p.wire.query, p.credentials.accessKeyId, scope, p.amzDate, p.expiresIn, p.credentials.sessionToken, signedHeaders);
  const canonicalRequest = canonicalRequestOf(p, fullQuery, headers, payload);
  const toSign = stringToSign(p.amzDate, scope, await crypto.sha256Hex(canonicalRequest));
  const sig = await crypto.hmacHex(crypto.signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign);
  const base = p.url.replace(/[?#].*$/s, '');
  return { url: `${base}?${fullQuery}&X-Amz-Signature=${sig}`, headers: p.out, signedHeaders, canonicalRequest, stringToSign: toSign, signature: sig };
}
