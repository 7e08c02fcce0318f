/**
 * `aws-sigv4-connection`: the SigV4 signer and what every adapter shares. The client
 * Connections live in their own entry points (`/opensearch`, `/elasticsearch`,
 * `/elasticsearch7`), so importing this one loads no client.
 */
export { signRequest, presignRequest, EMPTY_SHA256 } from './sigv4.js';
export { canonicalUri, canonicalQuery, payloadHash, classifyRejection, firstDifference } from './checked-helpers.js';
export type { AwsCredentialIdentity, SignableRequest, SignOptions, SignedRequest, PresignOptions, PresignedRequest, HeaderValue } from './sigv4.js';
export { createSignedFetch } from './fetch.js';
export type { SignedFetch, SignedFetchOptions } from './fetch.js';
export { resolveEndpoint, regionAndServiceFromHost } from './endpoint.js';
export type { ResolvedEndpoint, ResolveEndpointOptions } from './endpoint.js';
export { CredentialCache } from './credentials.js';
export type { AwsCredentialIdentityProvider, CredentialsSource, CredentialCacheOptions, CredentialCacheStats } from './credentials.js';
export { RequestSigner } from './request-signer.js';
export type { AwsSigV4Options, SigningEvent } from './request-signer.js';
export { signatureRejectionOf } from './exchange/rejection-path.js';
export { AwsSigV4Error, ConfigurationError, CredentialsError, SignatureRejectedError } from './errors.js';
export type {
  AwsSigV4ErrorCode, ConfigurationErrorCode, CredentialsErrorCode, SignatureRejectedErrorCode, SignatureRejectionKind, SignatureRejectedDetails,
} from './errors.js';
