/**
 * `createSignedFetch`: the global `fetch`, signed with SigV4, for any AWS service that takes
 * IAM-signed HTTP (API Gateway `execute-api`, Lambda function URLs, OpenSearch). Same
 * options, credential cache, retries and errors as the Connections; the request loop, the
 * checks of its inputs and the redirect policy are signed-fetch.ts's, shared with the web
 * entry (only the signer differs: node:crypto here, WebCrypto there).
 */
import { RequestSigner } from './request-signer.js';
import { createSignedFetchWith, type SignedFetch, type SignedFetchOptions } from './signed-fetch.js';

export type { SignedFetch, SignedFetchOptions } from './signed-fetch.js';

/** Redirects: see nextHop in signed-fetch.ts (same-origin hops followed, re-signed; others returned). */
export function createSignedFetch(options?: SignedFetchOptions): SignedFetch {
  return createSignedFetchWith(options, (signerOptions) => new RequestSigner(signerOptions));
}
