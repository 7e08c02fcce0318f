/**
 * `createSignedFetch`: the global `fetch`, signed with SigV4, for any AWS service that takes
 * IAM-signed HTTP (API Gateway `execute-api`, Lambda function URLs, OpenSearch). Same
 * options, credential cache, retries and errors as the Connections. The loop is
 * signed-fetch.ts, shared with the web entry; this adds node:crypto signing and Node
 * stream bodies.
 */
import { Readable } from 'node:stream';
import { RequestSigner, type AwsSigV4Options } from './request-signer.js';
import { checkedFetch, signedFetchWith, type SignedFetch } from './signed-fetch.js';

export type { SignedFetch } from './signed-fetch.js';

export interface SignedFetchOptions extends AwsSigV4Options {
  /** The fetch to sign for; default the global one (Node 18+). */
  fetch?: typeof fetch;
}

export function createSignedFetch(options: SignedFetchOptions = {}): SignedFetch {
  const { fetch: baseFetch, ...signerOptions } = options;
  const chosen = checkedFetch(baseFetch, signerOptions.host);
  const signer = new RequestSigner(signerOptions);
  return signedFetchWith(signer, chosen, (body) => (body instanceof Readable ? signer.bufferStream(body).then((b) => b.body) : undefined));
}
