/**
 * The two cryptos the one signing composition runs over, for tests that must hold for both:
 * node:crypto (the Node entry, synchronous) and WebCrypto (the web entry,
 * `globalThis.crypto.subtle`, or node:crypto's on Node 18, asynchronous). Both through their
 * public entry as Node loads it.
 */
import { presignRequest, signRequest } from '../../src/sigv4.js';
import type { PresignedRequest, PresignOptions, SignableRequest, SignedRequest, SignOptions } from '../../src/sigv4.js';
import { presignRequest as presignWeb, signRequest as signWeb } from '../../src/web-node.js';

export interface SignerImplementation {
  name: string;
  /** Appended to report lines; empty for node:crypto, whose lines other tests read as they were. */
  suffix: string;
  sign(request: SignableRequest, options: SignOptions): Promise<SignedRequest>;
  presign(request: SignableRequest, options: PresignOptions): Promise<PresignedRequest>;
}

export const SIGNER_IMPLEMENTATIONS: readonly SignerImplementation[] = [
  { name: 'node:crypto', suffix: '', sign: async (r, o) => signRequest(r, o), presign: async (r, o) => presignRequest(r, o) },
  { name: 'WebCrypto', suffix: ' [WebCrypto]', sign: signWeb, presign: presignWeb },
];
