/**
 * Credentials that never run out: a cache in front of any AWS SDK credential provider.
 *
 * - Cached credentials are returned synchronously: the hot path is one comparison.
 * - Refreshed early (before `expiration` minus a margin, with jitter), in the background
 *   while the cached ones are still valid; a request waits only when none are valid.
 * - One refresh at a time: N concurrent callers on a cold cache make one provider call.
 * - Credentials without `expiration` (environment, static profile keys) are re-resolved on
 *   an interval, so a rotated secret is picked up.
 * - A failing provider: the last good credentials are kept while valid, background retries
 *   back off exponentially (capped); with none valid the caller gets a CredentialsError
 *   whose `cause` is the provider's error, scrubbed of secrets.
 */
import { CredentialsError, scrubCause } from './errors.js';
import { assertCredentials, type AwsCredentialIdentity } from './sigv4.js';

/** The shape of every `@aws-sdk/credential-providers` provider (fromIni, fromNodeProviderChain, ...). */
export type AwsCredentialIdentityProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentialIdentity>;

export type CredentialsSource = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface CredentialCacheOptions {
  /** Refresh this long before `expiration` (capped at half the credentials' lifetime). Default 5 min, as the AWS SDKs. */
  refreshBeforeExpiryMs?: number;
  /** Stop using credentials this long before `expiration` (capped at a quarter of their lifetime): a request signed just before expiry may arrive after it. Default 15 s. */
  expirySafetyMs?: number;
  /** Re-resolve credentials that carry no `expiration` this often. Default 10 min. */
  refreshIntervalMs?: number;
  /** First retry delay after a failed background refresh; doubles up to `maxRetryDelayMs`. Default 1 s. */
  retryDelayMs?: number;
  /** Default 60 s. */
  maxRetryDelayMs?: number;
  /** For tests: the clock, in ms. */
  now?: () => number;
}

export interface CredentialCacheStats {
  /** Provider calls made (successful or not). */
  providerCalls: number;
  providerFailures: number;
  /** Successful provider calls that replaced cached credentials. */
  refreshes: number;
}

interface Entry {
  credentials: AwsCredentialIdentity;
  /** After this, never sign with them. */
  usableUntil: number;
  /** From this on, refresh in the background. */
  refreshAt: number;
}

export class CredentialCache {
  readonly stats: CredentialCacheStats = { providerCalls: 0, providerFailures: 0, refreshes: 0 };
  private readonly provider: AwsCredentialIdentityProvider | undefined;
  private entry: Entry | undefined;
  private inflight: Promise<AwsCredentialIdentity> | undefined;
  private failures = 0;
  private nextAttemptAt = 0;
  private readonly refreshBeforeExpiryMs: number;
  private readonly expirySafetyMs: number;
  private readonly refreshIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly now: () => number;

  constructor(source: CredentialsSource, options: CredentialCacheOptions = {}) {
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? 5 * 60_000;
    this.expirySafetyMs = options.expirySafetyMs ?? 15_000;
    this.refreshIntervalMs = options.refreshIntervalMs ?? 10 * 60_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
    this.now = options.now ?? Date.now;
    if (typeof source === 'function') {
      this.provider = source;
    } else {
      // A static identity is checked now, so a typo fails at configure() time, not per request.
      this.entry = this.toEntry(assertCredentials(source), this.now(), false);
    }
  }

  /** Valid credentials: synchronously when cached, else after one shared provider call. */
  get(): AwsCredentialIdentity | Promise<AwsCredentialIdentity> {
    const entry = this.entry;
    if (entry !== undefined) {
      const now = this.now();
      if (now < entry.usableUntil) {
        if (now >= entry.refreshAt && this.provider !== undefined && this.inflight === undefined && now >= this.nextAttemptAt) {
          // Background refresh: its failure is recorded and retried later, never thrown here.
          this.refresh(false).catch(() => undefined);
        }
        return entry.credentials;
      }
      if (this.provider === undefined) {
        return Promise.reject(new CredentialsError('ERR_CREDENTIALS_EXPIRED',
          `The static credentials for access key ${maskKey(entry.credentials.accessKeyId)} expired at ${entry.credentials.expiration?.toISOString()}. Pass a credential provider (e.g. fromNodeProviderChain()) so they can be refreshed.`));
      }
    }
    return this.inflight ?? this.refresh(false);
  }

  /**
   * Forces a new provider call (joining one already under way), e.g. after AWS answered
   * that the token expired. The cached credentials stay in use if it fails.
   */
  forceRefresh(): Promise<AwsCredentialIdentity> {
    if (this.provider === undefined) return Promise.resolve(this.get());
    return this.inflight ?? this.refresh(true);
  }

  /** Drops cached credentials that AWS refused, so nothing signs with them again. */
  invalidate(credentials: AwsCredentialIdentity): void {
    if (this.provider !== undefined && this.entry?.credentials === credentials) this.entry = undefined;
  }

  private refresh(forced: boolean): Promise<AwsCredentialIdentity> {
    const provider = this.provider!;
    this.stats.providerCalls++;
    const started = this.now();
    const call = (async () => {
      let fresh: AwsCredentialIdentity;
      try {
        fresh = assertCredentials(await provider({ forceRefresh: true }));
      } catch (error) {
        this.stats.providerFailures++;
        this.failures++;
        this.nextAttemptAt = this.now() + Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** (this.failures - 1));
        if (error instanceof CredentialsError) throw error;
        throw new CredentialsError('ERR_CREDENTIALS_PROVIDER',
          `The credential provider failed${forced ? ' (forced refresh)' : ''}: ${scrubCause(error)?.message ?? 'unknown error'}. ` +
            'Check the AWS credential chain (environment, profile, container or instance role, web identity).',
          { cause: scrubCause(error) });
      }
      const now = this.now();
      if (fresh.expiration !== undefined && !(fresh.expiration instanceof Date && fresh.expiration.getTime() > now)) {
        this.stats.providerFailures++;
        this.failures++;
        this.nextAttemptAt = now + Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** (this.failures - 1));
        throw new CredentialsError('ERR_CREDENTIALS_EXPIRED',
          `The credential provider returned credentials for access key ${maskKey(fresh.accessKeyId)} that already expired (${String(fresh.expiration)}). Check the clock of this machine and the source of the credentials.`);
      }
      const previous = this.entry;
      this.entry = this.toEntry(fresh, started, previous !== undefined && sameExpiry(previous.credentials, fresh));
      this.failures = 0;
      this.nextAttemptAt = 0;
      this.stats.refreshes++;
      return fresh;
    })();
    this.inflight = call;
    const clear = (): void => {
      if (this.inflight === call) this.inflight = undefined;
    };
    call.then(clear, clear);
    return call;
  }

  private toEntry(credentials: AwsCredentialIdentity, obtainedAt: number, unchanged: boolean): Entry {
    const expiration = credentials.expiration?.getTime();
    if (expiration === undefined) {
      return { credentials, usableUntil: Infinity, refreshAt: obtainedAt + this.refreshIntervalMs };
    }
    const lifetime = Math.max(0, expiration - obtainedAt);
    const usableUntil = expiration - Math.min(this.expirySafetyMs, lifetime / 4);
    const margin = Math.min(this.refreshBeforeExpiryMs, lifetime / 2);
    // Jitter spreads the refreshes of many processes that got credentials at the same time.
    let refreshAt = expiration - margin - Math.random() * Math.min(30_000, margin / 5);
    // A provider that memoizes may hand back the same credentials; wait before asking again.
    if (unchanged) refreshAt = Math.max(refreshAt, obtainedAt + Math.min(this.maxRetryDelayMs, (usableUntil - obtainedAt) / 2));
    return { credentials, usableUntil, refreshAt };
  }
}

function sameExpiry(a: AwsCredentialIdentity, b: AwsCredentialIdentity): boolean {
  return a.accessKeyId === b.accessKeyId && a.expiration?.getTime() === b.expiration?.getTime();
}

/** `AKIA...WXYZ`: enough to tell keys apart in a message, never the secret. */
export function maskKey(accessKeyId: string): string {
  return accessKeyId.length > 8 ? `${accessKeyId.slice(0, 4)}...${accessKeyId.slice(-4)}` : accessKeyId;
}
