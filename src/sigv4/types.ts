/** The shapes the signer takes and gives: the public types of `signRequest` and `presignRequest`. */

export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  // `| undefined`: under exactOptionalPropertyTypes, SealedIdentity's getters (and
  // `sessionToken: process.env.AWS_SESSION_TOKEN`) would not fit the interface otherwise.
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

export type HeaderValue = string | string[];

export interface SignableRequest {
  method: string;
  /** The request as it goes on the wire: path and query already percent-encoded. */
  url: string | URL;
  headers?: Record<string, HeaderValue | number | undefined>;
  body?: string | Uint8Array | null | undefined;
}

export interface SignOptions {
  region: string;
  service: string;
  credentials: AwsCredentialIdentity;
  signingDate?: Date | undefined;
  /**
   * Add a signed `x-amz-content-sha256` header with the payload hash. Always on for
   * `aoss`, which requires it; off elsewhere unless asked for.
   */
  contentSha256?: boolean | undefined;
  /** The hex SHA-256 of the body, when the caller already hashed it (a buffered stream). */
  payloadHash?: string | undefined;
}

export interface SignedRequest {
  /** Every header to send: the caller's, plus host, x-amz-date, x-amz-security-token, x-amz-content-sha256 where used, authorization. */
  headers: Record<string, string>;
  signedHeaders: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

export interface PresignOptions extends SignOptions {
  /** Seconds the URL stays valid (X-Amz-Expires). Default 900; AWS allows up to 604800. */
  expiresIn?: number | undefined;
}

export interface PresignedRequest {
  /** The URL with the X-Amz-* query parameters and the signature appended. */
  url: string;
  /** The headers that were signed and must be sent with the URL. */
  headers: Record<string, string>;
  signedHeaders: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
