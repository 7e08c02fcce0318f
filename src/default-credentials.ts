/**
 * The AWS SDK default chain (`fromNodeProviderChain()`), loaded on first use from the
 * optional peer `@aws-sdk/credential-providers`: users who pass their own credentials do
 * not need it installed.
 */
import { ConfigurationError } from './errors.js';
import type { AwsCredentialIdentityProvider } from './credentials.js';

export function defaultCredentialProvider(): AwsCredentialIdentityProvider {
  let chain: AwsCredentialIdentityProvider | undefined;
  return async (options) => {
    if (chain === undefined) {
      let mod: { fromNodeProviderChain: () => AwsCredentialIdentityProvider };
      try {
        mod = (await import('@aws-sdk/credential-providers')) as unknown as typeof mod;
      } catch (error) {
        throw new ConfigurationError('ERR_MISSING_PEER_DEPENDENCY',
          'No credentials were given and @aws-sdk/credential-providers is not installed: `npm install @aws-sdk/credential-providers`, ' +
            'or pass { credentials } to configure().', { cause: error });
      }
      chain = mod.fromNodeProviderChain();
    }
    return chain(options);
  };
}
