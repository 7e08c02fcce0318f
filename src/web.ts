/**
 * `aws-sigv4-connection/fetch`: signing for runtimes without Node built-ins (Cloudflare
 * Workers, Deno, Bun, Vercel's edge runtime, browsers), over WebCrypto. The same options,
 * credential cache, typed errors and canonicalization as the Node entry (one
 * implementation of each); only the hash and HMAC primitives differ, and so signing is
 * asynchronous here.
 */
import { createSignedFetchWith, type SignedFetch, type SignedFetchOptions } from './signed-fetch.js';
import { presignRequestAsyncWith, signRequestAsyncWith } from './sigv4/sign.js';
import type { PresignedRequest, PresignOptions, SignableRequest, SignedRequest, SignOptions } from './sigv4/types.js';
import { webSigV4Crypto } from './sigv4/web-crypto.js';
import { WebRequestSigner } from './web-request-signer.js';

/** The global `fetch`, signed with SigV4: same signature as fetch, same cache and errors as the Node entry. */
export function createSignedFetch(options?: SignedFetchOptions): SignedFetch {
  return createSignedFetchWith(options, (signerOptions) => new WebRequestSigner(signerOptions));
}

/** The signing core over WebCrypto: equals botocore's SigV4Auth on the same request, byte for byte. */
export function signRequest(request: SignableRequest, options: SignOptions): Promise<SignedRequest> {
  return signRequestAsyncWith(webSigV4Crypto, request, options);
}

/** The query (presigned URL) form over WebCrypto. */
export function presignRequest(request: SignableRequest, options: PresignOptions): Promise<PresignedRequest> {
  return presignRequestAsyncWith(webSigV4Crypto, request, options);
}

export { CredentialCache } from './credentials.js';
export { AwsSigV4Error, ConfigurationError, CredentialsError, SignatureRejectedError } from './errors.js';
export { EMPTY_SHA256 } from './sigv4/types.js';
export { WebRequestSigner } from './web-request-signer.js';
export type { SignedFetch, SignedFetchOptions } from './signed-fetch.js';
export type { AwsSigV4Options, SigningEvent } from './signing-context.js';
export type { AwsCredentialIdentityProvider, CredentialsSource, CredentialCacheOptions, CredentialCacheStats } from './credentials.js';
export type { AwsCredentialIdentity, PresignedRequest, PresignOptions, SignableRequest, SignedRequest, SignOptions, HeaderValue } from './sigv4/types.js';
export type {
  AwsSigV4ErrorCode, ConfigurationErrorCode, CredentialsErrorCode, SignatureRejectedErrorCode, SignatureRejectionKind, SignatureRejectedDetails,
} from './errors.js';
