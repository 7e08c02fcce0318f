/**
 * The signer of the web entry: SigningContext (options, credential cache, endpoints,
 * refusals; the same as every Node adapter's) with the one signing composition over
 * WebCrypto. Outside Node there is no default credential chain: credentials are an option.
 */
import type { CredentialsSource } from './credentials.js';
import { ConfigurationError } from './errors.js';
import { signRequestAsyncWith } from './sigv4/sign.js';
import type { AwsCredentialIdentity } from './sigv4/types.js';
import { webSigV4Crypto } from './sigv4/web-crypto.js';
import { SigningContext, type AwsSigV4Options, type SignInput, type Signed } from './signing-context.js';

function noDefaultCredentials(): CredentialsSource {
  throw new ConfigurationError('ERR_INVALID_OPTIONS',
    'Option "credentials" is required by aws-sigv4-connection/fetch: outside Node there is no default credential chain. ' +
      'Pass { credentials: { accessKeyId, secretAccessKey, sessionToken? } } (e.g. from your Worker\'s secrets) or an async provider function.');
}

export class WebRequestSigner extends SigningContext {
  constructor(options: AwsSigV4Options = {}) {
    super(options, noDefaultCredentials);
  }

  async sign(given: SignInput, credentials: AwsCredentialIdentity): Promise<Signed> {
    const input = this.inputOf(given);
    const endpoint = this.endpoint(input.nodeUrl);
    const signed = await signRequestAsyncWith(webSigV4Crypto, this.requestFor(input, endpoint), this.optionsFor(input, endpoint, credentials));
    return this.signed(input, signed, credentials, endpoint);
  }
}
