/**
 * The AWS SDK default chain (`fromNodeProviderChain()`), loaded on first use from the
 * optional peer `@aws-sdk/credential-providers`: users who pass their own credentials do
 * not need it installed.
 */
import type * as CredentialProviders from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from './credentials.js';
import { scrubCause } from './errors.js';
import { requirePeer } from './peer.js';

export function defaultCredentialProvider(): AwsCredentialIdentityProvider {
  let chain: AwsCredentialIdentityProvider | undefined;
  return async (options) => {
    // The cache turns a throw here into the call's rejection, and tries again next call.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a literal require, for bundlers (see requirePeer)
    chain ??= requirePeer<typeof CredentialProviders>('@aws-sdk/credential-providers', () => require('@aws-sdk/credential-providers'),
      'With no { credentials } given to configure(), the default credential chain').fromNodeProviderChain();
    try {
      return await chain(options);
    } catch (error) {
      // Before the cache holds any identity it knows no value to scrub by; the environment's
      // secret and token are the likeliest to be quoted (a credential_process's output, a
      // profile line): scrubbed here by value, in every form, and by shape in the cache.
      throw scrubCause(error, [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN]) ?? error;
    }
  };
}
