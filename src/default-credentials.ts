/**
 * The AWS SDK default chain (`fromNodeProviderChain()`), loaded on first use from the
 * optional peer `@aws-sdk/credential-providers`: users who pass their own credentials do
 * not need it installed.
 */
import type * as CredentialProviders from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from './credentials.js';
import { requirePeer } from './peer.js';

export function defaultCredentialProvider(): AwsCredentialIdentityProvider {
  let chain: AwsCredentialIdentityProvider | undefined;
  return async (options) => {
    // The cache turns a throw here into the call's rejection, and tries again next call.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a literal require, for bundlers (see requirePeer)
    chain ??= requirePeer<typeof CredentialProviders>('@aws-sdk/credential-providers', () => require('@aws-sdk/credential-providers'),
      'With no { credentials } given to configure(), the default credential chain').fromNodeProviderChain();
    return chain(options);
  };
}
