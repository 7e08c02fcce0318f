/**
 * The signer of every Node adapter (the client Connections, createSignedFetch, the CLI's
 * proxy): SigningContext (options, credential cache, endpoints, refusals) with node:crypto
 * signing and the `aws-sigv4-connection:sign` diagnostics channel.
 * Adapters only translate their client's request shape into SignInput.
 */
import { createHash } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { defaultCredentialProvider } from './default-credentials.js';
import { SignatureRejectedError } from './errors.js';
import { signRequest, type AwsCredentialIdentity } from './sigv4.js';
import type { IncrementalSha256 } from './sigv4/crypto.js';
import { SigningContext, type AwsSigV4Options, type SignInput, type Signed, type SigningEvent } from './signing-context.js';

export { isRefusalStatus, SigningContext } from './signing-context.js';
export type { AwsSigV4Options, NodeEndpoint, SignInput, Signed, SigningEvent } from './signing-context.js';

const signChannel = channel('aws-sigv4-connection:sign');

export class RequestSigner extends SigningContext {
  constructor(options: AwsSigV4Options = {}) {
    super(options, defaultCredentialProvider);
  }

  sign(given: SignInput, credentials: AwsCredentialIdentity): Signed {
    const input = this.inputOf(given);
    const endpoint = this.endpoint(input.nodeUrl);
    return this.signed(input, signRequest(this.requestFor(input, endpoint), this.optionsFor(input, endpoint, credentials)), credentials, endpoint);
  }

  override bodyHash(): IncrementalSha256 {
    return createHash('sha256');
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
