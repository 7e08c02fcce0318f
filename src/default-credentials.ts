/**
 * The AWS SDK default chain (`fromNodeProviderChain()`), loaded on first use from the
 * optional peer `@aws-sdk/credential-providers`: users who pass their own credentials do
 * not need it installed. Without it, the chain's first link still holds: keys in the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), read as the
 * SDK's fromEnv reads them, so a CLI run or a Lambda-style setup needs nothing more.
 */
import type * as CredentialProviders from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from './credentials.js';
import type { AwsCredentialIdentity } from './sigv4/types.js';
import { ConfigurationError, scrubCause } from './errors.js';
import { requirePeer } from './peer.js';

const NEEDED_BY = 'With no { credentials } given to configure() (and no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment), the default credential chain';

function sdkChain(): AwsCredentialIdentityProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a literal require, for bundlers (see requirePeer)
  return requirePeer<typeof CredentialProviders>('@aws-sdk/credential-providers', () => require('@aws-sdk/credential-providers'), NEEDED_BY).fromNodeProviderChain();
}

/** The environment's keys as the SDK's fromEnv takes them, or undefined when there are none. */
export function environmentIdentity(env: NodeJS.ProcessEnv): AwsCredentialIdentity | undefined {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken, AWS_CREDENTIAL_EXPIRATION: expires } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const expiration = expires ? new Date(expires) : undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}), ...(expiration ? { expiration } : {}) };
}

export function defaultCredentialProvider(env: NodeJS.ProcessEnv = process.env, load: () => AwsCredentialIdentityProvider = sdkChain): AwsCredentialIdentityProvider {
  let chain: AwsCredentialIdentityProvider | undefined;
  return async (options) => {
    // The cache turns a throw here into the call's rejection, and tries again next call.
    chain ??= withoutSdk(load, env);
    try {
      return await chain(options);
    } catch (error) {
      // Before the cache holds any identity it knows no value to scrub by; the environment's
      // secret and token are the likeliest to be quoted (a credential_process's output, a
      // profile line): scrubbed here by value, in every form, and by shape in the cache.
      throw scrubCause(error, [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN]) ?? error;
    }
  };
}

/** The SDK's chain, or, where it is not installed, the environment's keys when there are some. */
function withoutSdk(load: () => AwsCredentialIdentityProvider, env: NodeJS.ProcessEnv): AwsCredentialIdentityProvider {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigurationError && error.code === 'ERR_MISSING_PEER_DEPENDENCY')) throw error;
    // Read on each call, as fromEnv does: the process may set them later.
    if (environmentIdentity(env) === undefined) throw error;
    return async () => {
      const identity = environmentIdentity(env);
      if (identity === undefined) throw error;
      return identity;
    };
  }
}
