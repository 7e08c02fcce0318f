/** signRequest and presignRequest on node:crypto: the Node entry's signer. */
import { nodeSigV4Crypto } from './node-crypto.js';
import { presignRequestWith, signRequestWith } from './sign.js';
import type { PresignedRequest, PresignOptions, SignableRequest, SignedRequest, SignOptions } from './types.js';

export function signRequest(request: SignableRequest, options: SignOptions): SignedRequest {
  return signRequestWith(nodeSigV4Crypto, request, options);
}

export function presignRequest(request: SignableRequest, options: PresignOptions): PresignedRequest {
  return presignRequestWith(nodeSigV4Crypto, request, options);
}
