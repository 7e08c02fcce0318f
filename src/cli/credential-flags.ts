/**
 * The credential provider `--profile` and `--role-arn` ask for, built from the optional
 * peer @aws-sdk/credential-providers on first use; neither flag: undefined, and the
 * signer takes the default chain.
 */
import type { AwsCredentialIdentityProvider } from '../credentials.js';
import { requirePeer } from '../peer.js';
import type { SigningFlags } from './flags.js';

interface ProvidersModule {
  fromIni(init: { profile: string }): AwsCredentialIdentityProvider;
  fromNodeProviderChain(): AwsCredentialIdentityProvider;
  fromTemporaryCredentials(init: {
    params: { RoleArn: string; RoleSessionName: string };
    masterCredentials?: AwsCredentialIdentityProvider;
    clientConfig?: { region?: string };
  }): AwsCredentialIdentityProvider;
}

export function credentialsFromFlags(flags: Pick<SigningFlags, 'profile' | 'roleArn'>, region: string): AwsCredentialIdentityProvider | undefined {
  const { profile, roleArn } = flags;
  if (profile === undefined && roleArn === undefined) return undefined;
  let provider: AwsCredentialIdentityProvider | undefined;
  return async (options) => {
    if (provider === undefined) {
      const mod = await loadProviders(roleArn !== undefined ? '--role-arn' : '--profile');
      const base = profile === undefined ? undefined : mod.fromIni({ profile });
      provider = roleArn === undefined
        ? base!
        : mod.fromTemporaryCredentials({
          params: { RoleArn: roleArn, RoleSessionName: `aws-sigv4-connection-${process.pid}` },
          masterCredentials: base ?? mod.fromNodeProviderChain(),
          clientConfig: { region },
        });
    }
    return provider(options);
  };
}

// The loader every entry uses: a missing SDK and one made for a newer Node are each typed,
// and a broken one keeps its own error rather than being called "not installed".
async function loadProviders(flag: string): Promise<ProvidersModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a literal require, for bundlers (see requirePeer)
  return requirePeer<ProvidersModule>('@aws-sdk/credential-providers', () => require('@aws-sdk/credential-providers'), flag);
}
