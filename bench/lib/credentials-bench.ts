/**
 * The credential cache's hit path, as every signed request takes it: `get()` on a warm cache,
 * for a provider with an expiration (the common case: roles, SSO, web identity) and for a
 * static identity.
 */
import { CredentialCache } from '../../src/credentials.js';
import type { AwsCredentialIdentity } from '../../src/sigv4.js';
import { CREDENTIALS } from './bodies.js';
import { interleave, median, type TimingOptions } from './timing.js';

export interface CredentialsResult {
  rows: Array<{ id: string; label: string; nsPerOp: number; rounds: number[] }>;
}

export async function runCredentials(timing: TimingOptions): Promise<CredentialsResult> {
  // An hour of validity: far from the refresh window, so get() takes the pure hit path.
  const provider = async (): Promise<AwsCredentialIdentity> => ({ ...CREDENTIALS, expiration: new Date(Date.now() + 3_600_000) });
  const fromProvider = new CredentialCache(provider);
  await fromProvider.get();
  const fromStatic = new CredentialCache({ ...CREDENTIALS });
  for (const cache of [fromProvider, fromStatic]) {
    if (cache.get() instanceof Promise) throw new Error('the warm cache answered with a promise: not the hit path');
  }
  const labels: Record<string, string> = {
    'cache-provider': 'CredentialCache.get(), warm, provider with expiration',
    'cache-static': 'CredentialCache.get(), static identity',
  };
  const { series } = await interleave(
    [
      { id: 'cache-provider', op: () => fromProvider.get(), async: false },
      { id: 'cache-static', op: () => fromStatic.get(), async: false },
    ],
    timing,
  );
  if (fromProvider.stats.providerCalls !== 1) throw new Error(`the provider was called ${fromProvider.stats.providerCalls} times: the cache missed`);
  return {
    rows: [...series].map(([id, rounds]) => ({ id, label: labels[id]!, nsPerOp: median(rounds), rounds })),
  };
}
