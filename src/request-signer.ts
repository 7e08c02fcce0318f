/**
 * The signer of every Node adapter (the client Connections, createSignedFetch, the CLI's
 * proxy): SigningContext (options, credential cache, endpoints, refusals) with node:crypto
 * signing, stream buffering and the `aws-sigv4-connection:sign` diagnostics channel.
 * Adapters only translate their client's request shape into SignInput.
 */
import { channel } from 'node:diagnostics_channel';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { defaultCredentialProvider } from './default-credentials.js';
import { ConfigurationError, SignatureRejectedError } from './errors.js';
import { signRequest, type AwsCredentialIdentity } from './sigv4.js';
import { SigningContext, type AwsSigV4Options, type SignInput, type Signed, type SigningEvent } from './signing-context.js';

export { isRefusalStatus, SigningContext } from './signing-context.js';
export type { AwsSigV4Options, NodeEndpoint, SignInput, Signed, SigningEvent } from './signing-context.js';

const signChannel = channel('aws-sigv4-connection:sign');
const DEFAULT_MAX_BUFFERED = 100 * 1024 * 1024;

export class RequestSigner extends SigningContext {
  constructor(options: AwsSigV4Options = {}) {
    super(options, defaultCredentialProvider);
  }

  sign(input: SignInput, credentials: AwsCredentialIdentity): Signed {
    const endpoint = this.endpoint(input.nodeUrl);
    return this.signed(input, signRequest(this.requestFor(input, endpoint), this.optionsFor(input, endpoint, credentials)), credentials, endpoint);
  }

  /** Reads a stream body into memory (it must be hashed before the first byte is sent), hashing as it goes. */
  async bufferStream(stream: Readable): Promise<{ body: Buffer; payloadHash: string }> {
    const limit = this.options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED;
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += bytes.length;
      if (size > limit) {
        stream.destroy();
        throw new ConfigurationError('ERR_BODY_TOO_LARGE',
          `A stream body is buffered to be signed (SigV4 signs a hash of the whole body) and this one is larger than maxBufferedBodyBytes (${limit} bytes). ` +
            'Raise maxBufferedBodyBytes, or send smaller requests (e.g. a smaller flushBytes in the bulk helper).');
      }
      hash.update(bytes);
      chunks.push(bytes);
    }
    return { body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), payloadHash: hash.digest('hex') };
  }

  protected override observed(): boolean {
    return this.options.onSign !== undefined || signChannel.hasSubscribers;
  }

  protected override publish(event: SigningEvent, credentials: AwsCredentialIdentity): void {
    super.publish(event, credentials);
    if (signChannel.hasSubscribers) signChannel.publish(event);
  }
}

export { SignatureRejectedError };
