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
import { peerLoadError } from './peer.js';

const NEEDED_BY = 'With no { credentials } given to configure() (and no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment), the default credential chain';

/**
 * A literal `import()` inside a try, not a `require`: a bundler still follows the name into
 * the bundle when the SDK is installed, and only warns when it is not. The `module` build
 * turns a literal require into a static import, which failed the bundle of an app that
 * passes its own credentials or reads the environment's keys (a Lambda's), as the README
 * promises it may, without the SDK.
 */
async function sdkChain(): Promise<AwsCredentialIdentityProvider> {
  let sdk: typeof CredentialProviders;
  try {
    sdk = await import('@aws-sdk/credential-providers');
  } catch (error) {
    throw peerLoadError('@aws-sdk/credential-providers', NEEDED_BY, error);
  }
  return sdk.fromNodeProviderChain();
}

/** The environment's keys as the SDK's fromEnv takes them, or undefined when there are none. */
export function environmentIdentity(env: NodeJS.ProcessEnv): AwsCredentialIdentity | undefined {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken, AWS_CREDENTIAL_EXPIRATION: expires } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const expiration = expires ? new Date(expires) : undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}), ...(expiration ? { expiration } : {}) };
}

type ChainLoader = () => AwsCredentialIdentityProvider | Promise<AwsCredentialIdentityProvider>;

export function defaultCredentialProvider(env: NodeJS.ProcessEnv = process.env, load: ChainLoader = sdkChain): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  return async (options) => {
    // One load for concurrent first calls; a failed one is tried again next call (the cache
    // turns it into that call's rejection).
    chain ??= withoutSdk(load, env);
    // Outside the try: a missing SDK is our typed error, not the chain's to scrub.
    const provider = await chain.catch((error: unknown) => { chain = undefined; throw error; });
    try {
      return await provider(options);
    } catch (error) {
      // Before the cache holds any identity it knows no value to scrub by; the environment's
      // secret and token are the likeliest to be quoted (a credential_process's output, a
      // profile line): scrubbed here by value, in every form, and by shape in the cache.
      throw scrubCause(error, [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN]) ?? error;
    }
  };
}

/** The SDK's chain, or, where it is not installed, the environment's keys when there are some. */
async function withoutSdk(load: ChainLoader, env: NodeJS.ProcessEnv): Promise<AwsCredentialIdentityProvider> {
  try {
    return await load();
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
