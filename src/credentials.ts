/**
 * Credentials that never run out: a cache in front of any AWS SDK credential provider.
 *
 * - Cached credentials are returned synchronously: the hot path is one comparison.
 * - Refreshed early (before `expiration` minus a margin, with jitter), in the background
 *   while the cached ones are still valid; a request waits only when none are valid.
 * - One refresh at a time: N concurrent callers on a cold cache make one provider call.
 * - Credentials without `expiration` (environment, static profile keys) are re-resolved on
 *   an interval, so a rotated secret is picked up.
 * - A failing provider: the last good credentials are kept while valid, retries back off
 *   exponentially (capped); with none valid the caller gets a CredentialsError whose
 *   `cause` is the provider's error, scrubbed of secrets. While backing off with none
 *   valid, callers fail at once instead of each calling a provider that just failed
 *   (STS and the instance metadata service throttle exactly such herds).
 * - What the provider returns (or the static identity) is read once, checked (white space or
 *   a control character in the key id or the secret is ERR_CREDENTIALS_MALFORMED, a getter
 *   that throws too) and kept sealed: what get() hands out never prints its secret, and no
 *   getter can hand the signer a value other than the one checked.
 */
import { AwsSigV4Error, ConfigurationError, CredentialsError, scrubCause } from './errors.js';
import { readIdentity, readOptions } from './read-once.js';
import { INSPECT, maskKey, sealIdentity, SealedIdentity } from './sealed-identity.js';
// From the step modules, not ./sigv4.js: that one binds node:crypto, and the cache serves the web entry too.
import type { AwsCredentialIdentity } from './sigv4/types.js';
import { assertCredentials, ownTimeOf } from './sigv4/validate.js';

export { maskKey, sealIdentity, SealedIdentity };

/**
 * The shape of every `@aws-sdk/credential-providers` provider (fromIni, fromNodeProviderChain, ...).
 * `callerClientConfig` is there only so that the SDK's RuntimeConfig providers (fromIni,
 * fromTemporaryCredentials), whose options type has no property in common with
 * `{ forceRefresh }`, still type-check (TypeScript's weak-type rule); we never pass it.
 */
export type AwsCredentialIdentityProvider = (options?: { forceRefresh?: boolean; callerClientConfig?: never }) => Promise<AwsCredentialIdentity>;

export type CredentialsSource = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface CredentialCacheOptions {
  /** Refresh this long before `expiration` (capped at half the credentials' lifetime). Default 5 min, as the AWS SDKs. */
  refreshBeforeExpiryMs?: number | undefined;
  /** Stop using credentials this long before `expiration` (capped at a quarter of their lifetime): a request signed just before expiry may arrive after it. Default 15 s. */
  expirySafetyMs?: number | undefined;
  /** Re-resolve credentials that carry no `expiration` this often. Default 10 min. */
  refreshIntervalMs?: number | undefined;
  /** First retry delay after a failed refresh; doubles up to `maxRetryDelayMs`. Default 1 s. */
  retryDelayMs?: number | undefined;
  /** Default 60 s. */
  maxRetryDelayMs?: number | undefined;
  /** A provider call that has not settled after this long counts as failed, so a hung provider cannot stall every request. Default 30 s. */
  providerTimeoutMs?: number | undefined;
  /** For tests: the clock, in ms. */
  now?: (() => number) | undefined;
}

export interface CredentialCacheStats {
  /** Provider calls made (successful or not). */
  providerCalls: number;
  /** Calls that threw, timed out, or returned malformed or already-expired credentials. */
  providerFailures: number;
  /** Successful provider calls that replaced cached credentials (the first fill included). */
  refreshes: number;
  /** Successful provider calls that handed back the credentials already cached (a memoizing provider). */
  unchanged: number;
}

interface Entry {
  credentials: AwsCredentialIdentity;
  /** After this, never sign with them. */
  usableUntil: number;
  /** From this on, refresh in the background. */
  refreshAt: number;
}

/** At most this much jitter before the refresh margin, so a fleet started together does not refresh together. */
const MAX_JITTER_MS = 30_000;
/** The longest delay a Node timer holds (2^31-1 ms, ~24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const KNOWN_CACHE_OPTIONS = new Set(['refreshBeforeExpiryMs', 'expirySafetyMs', 'refreshIntervalMs', 'retryDelayMs', 'maxRetryDelayMs', 'providerTimeoutMs', 'now']);
export class CredentialCache {
  readonly stats: CredentialCacheStats = { providerCalls: 0, providerFailures: 0, refreshes: 0, unchanged: 0 };
  private readonly provider: AwsCredentialIdentityProvider | undefined;
  /** Private (#), so that no inspect option reaches the identity through the cache. */
  #entry: Entry | undefined;
  /** The secrets of every identity held so far, to scrub from provider errors by value. */
  #known: Array<string | undefined> = [];
  private inflight: Promise<AwsCredentialIdentity> | undefined;
  /** The providerTimeoutMs timer of the call under way (see callProvider). */
  private inflightTimer: { ref?(): unknown } | undefined;
  /** Consecutive failed calls, and consecutive calls that returned the cached credentials: each drives its own backoff. */
  private failures = 0;
  private repeats = 0;
  private nextAttemptAt = 0;
  private lastError: AwsSigV4Error | undefined;
  private readonly refreshBeforeExpiryMs: number;
  private readonly expirySafetyMs: number;
  private readonly refreshIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly providerTimeoutMs: number;
  private readonly now: () => number;

  constructor(source: CredentialsSource, given: CredentialCacheOptions = {}) {
    // Read once: each option is checked on the copy that is used.
    const options = readOptions(given, 'credentialCache', (got) => `credentialCache must be an object such as { refreshBeforeExpiryMs: 300000 }, got ${got}.`);
    checkCacheOptions(options);
    this.refreshBeforeExpiryMs = duration(options, 'refreshBeforeExpiryMs', 5 * 60_000, true);
    this.expirySafetyMs = duration(options, 'expirySafetyMs', 15_000, true);
    this.refreshIntervalMs = duration(options, 'refreshIntervalMs', 10 * 60_000, false);
    // Zero would turn a failing provider into a hot loop.
    this.retryDelayMs = duration(options, 'retryDelayMs', 1_000, false);
    this.maxRetryDelayMs = Math.max(this.retryDelayMs, duration(options, 'maxRetryDelayMs', 60_000, false));
    this.providerTimeoutMs = duration(options, 'providerTimeoutMs', 30_000, false);
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', 'credentialCache.now must be a function returning milliseconds.');
    }
    this.now = options.now ?? Date.now;
    if (typeof source === 'function') {
      this.provider = source;
    } else {
      // A static identity is checked now, so a typo fails at configure() time, not per request.
      this.#entry = this.toEntry(this.remember(checkIdentity(source)), this.now());
    }
  }

  /** Valid credentials: synchronously when cached, else after one shared provider call. */
  get(): AwsCredentialIdentity | Promise<AwsCredentialIdentity> {
    const entry = this.#entry;
    const now = this.now();
    if (entry !== undefined) {
      if (now < entry.usableUntil) {
        if (now >= entry.refreshAt && this.provider !== undefined && this.inflight === undefined && now >= this.nextAttemptAt) {
          // Background refresh: its failure is recorded and retried later, never thrown here.
          this.refresh(false).catch(() => undefined);
        }
        return entry.credentials;
      }
      if (this.provider === undefined) {
        const expiration = entry.credentials.expiration;
        return Promise.reject(new CredentialsError('ERR_CREDENTIALS_EXPIRED',
          `The static credentials for access key ${maskKey(entry.credentials.accessKeyId)} expired at ${expiration instanceof Date ? expiration.toISOString() : 'an unknown time'}` +
            ' (or are about to, within the safety margin). Pass a credential provider (e.g. fromNodeProviderChain()) so they can be refreshed.'));
      }
    }
    if (this.lastError !== undefined && this.inflight === undefined && now < this.nextAttemptAt) return Promise.reject(this.backingOff(now));
    return this.awaited(this.inflight ?? this.refresh(false));
  }

  /**
   * Forces a new provider call (joining one already under way), e.g. after AWS answered
   * that the token expired. It ignores the backoff: AWS has just said the cached
   * credentials are no good. The cached credentials stay in use if it fails.
   *
   * With `refused` (the identity AWS refused), no call is made when the cache already
   * holds other usable credentials: of N requests refused together, the first refreshes
   * and the others retry with its result instead of each calling the provider again.
   */
  forceRefresh(refused?: AwsCredentialIdentity): Promise<AwsCredentialIdentity> {
    if (this.provider === undefined) return Promise.resolve(this.get());
    const entry = this.#entry;
    if (refused !== undefined && this.inflight === undefined && entry !== undefined && this.now() < entry.usableUntil &&
      (entry.credentials.accessKeyId !== refused.accessKeyId || entry.credentials.sessionToken !== refused.sessionToken)) {
      return Promise.resolve(entry.credentials);
    }
    return this.awaited(this.inflight ?? this.refresh(true));
  }

  /**
   * A call a request waits for (a background refresh it joins too) keeps the process alive
   * until the provider answers or providerTimeoutMs passes: with nothing else pending (es9
   * has no default requestTimeout, nor has fetch) the process would end mid-await, exit
   * code 0, nothing printed.
   */
  private awaited(call: Promise<AwsCredentialIdentity>): Promise<AwsCredentialIdentity> {
    this.inflightTimer?.ref?.();
    return ownError(call);
  }

  /** Drops cached credentials that AWS refused, so nothing signs with them again. */
  invalidate(credentials: AwsCredentialIdentity): void {
    if (this.provider !== undefined && this.#entry?.credentials === credentials) this.#entry = undefined;
  }

  private refresh(forced: boolean): Promise<AwsCredentialIdentity> {
    const provider = this.provider!;
    this.stats.providerCalls++;
    const started = this.now();
    const call = (async () => {
      let fresh: AwsCredentialIdentity;
      try {
        fresh = this.remember(checkIdentity(await this.callProvider(provider)));
      } catch (error) {
        throw this.failed(error, forced);
      }
      const now = this.now();
      const expiration = expiresAt(fresh);
      if (expiration !== undefined && expiration <= now) {
        throw this.failed(new CredentialsError('ERR_CREDENTIALS_EXPIRED',
          `The credential provider returned credentials for access key ${maskKey(fresh.accessKeyId)} that already expired (${new Date(expiration).toISOString()}). ` +
            'Check the clock of this machine and the source of the credentials.'), forced);
      }
      this.failures = 0;
      this.lastError = undefined;
      const previous = this.#entry;
      if (previous !== undefined && expiration !== undefined && sameCredentials(previous.credentials, fresh)) {
        // A memoizing provider (or one that ignores forceRefresh) handed back what is cached:
        // ask again later, backing off, rather than on every request of the refresh window.
        this.stats.unchanged++;
        this.repeats++;
        this.nextAttemptAt = 0;
        previous.refreshAt = now + this.delay(this.repeats, previous.usableUntil, now);
        // Past our safety margin yet still valid by their expiration: better than none.
        if (now >= previous.usableUntil) previous.usableUntil = expiration;
        return previous.credentials;
      }
      this.repeats = 0;
      this.nextAttemptAt = 0;
      this.#entry = this.toEntry(fresh, started);
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

  /** The provider's answer, or a rejection when it throws (even synchronously) or hangs. */
  private callProvider(provider: AwsCredentialIdentityProvider): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CredentialsError('ERR_CREDENTIALS_PROVIDER',
        `The credential provider did not answer within ${this.providerTimeoutMs} ms (providerTimeoutMs).`)), this.providerTimeoutMs);
      // A background refresh must not keep the process alive; awaited() refs it for a caller.
      timer.unref?.();
    });
    const held = timer;
    this.inflightTimer = held;
    let answer: Promise<unknown>;
    try {
      answer = Promise.resolve(provider({ forceRefresh: true }));
    } catch (error) {
      answer = Promise.reject(error);
    }
    return Promise.race([answer, timeout]).finally(() => {
      clearTimeout(held);
      if (this.inflightTimer === held) this.inflightTimer = undefined;
    });
  }

  /** Records a failed call (for the backoff) and returns the error to hand to the callers. */
  private failed(error: unknown, forced: boolean): AwsSigV4Error {
    this.stats.providerFailures++;
    this.failures++;
    const now = this.now();
    let out: AwsSigV4Error;
    if (error instanceof AwsSigV4Error) {
      // Ours already: built from names and shapes only (malformed identity, missing peer dependency, timeout).
      out = error;
    } else {
      // The secrets and tokens held so far are the values most likely to leak into a provider's
      // message (e.g. a profile parser quoting a line), in any encoding; the shape-based scrub covers the rest.
      const cause = scrubCause(error, this.#known);
      out = new CredentialsError('ERR_CREDENTIALS_PROVIDER',
        `The credential provider failed${forced ? ' (forced refresh)' : ''}: ${cause?.name ?? 'Error'}: ${cause?.message || 'unknown error'}. ` +
          'Check the AWS credential chain (environment, profile, container or instance role, web identity).',
        { cause });
    }
    this.lastError = out;
    this.nextAttemptAt = now + this.delay(this.failures, this.#entry?.usableUntil ?? 0, now);
    return out;
  }

  /**
   * Capped exponential backoff for the n-th consecutive miss, shortened while cached
   * credentials are still usable so that another attempt is made before they run out.
   */
  private delay(n: number, usableUntil: number, now: number): number {
    const backoff = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** Math.min(n - 1, 30));
    if (usableUntil <= now) return backoff;
    return Math.min(backoff, Math.max(this.retryDelayMs, (usableUntil - now) / 2));
  }

  /** What a caller gets while no credentials are valid and the provider is backing off. */
  private backingOff(now: number): AwsSigV4Error {
    const last = this.lastError!;
    const wait = Math.max(0, Math.ceil(this.nextAttemptAt - now));
    return copyError(last, ` No valid credentials; the provider is asked again in ${wait} ms.`);
  }

  /** Keeps an identity's secret and token (the current and the previous ones) for the by-value scrub. */
  private remember<T extends AwsCredentialIdentity>(identity: T): T {
    const values = [identity.secretAccessKey, identity.sessionToken];
    this.#known = [...values, ...this.#known.filter((v) => !values.includes(v))].slice(0, 4);
    return identity;
  }

  /** What a log line may show of the cache: the masked key, the expiration and the stats, never a secret. */
  toJSON(): { accessKeyId?: string; expiration?: string; stats: CredentialCacheStats } {
    const credentials = this.#entry?.credentials;
    return {
      ...(credentials ? { accessKeyId: maskKey(credentials.accessKeyId) } : {}),
      ...(credentials?.expiration ? { expiration: credentials.expiration.toISOString() } : {}),
      stats: { ...this.stats },
    };
  }

  [INSPECT](): string {
    return `CredentialCache ${JSON.stringify(this.toJSON())}`;
  }

  private toEntry(credentials: AwsCredentialIdentity, obtainedAt: number): Entry {
    const expiration = expiresAt(credentials);
    if (expiration === undefined) {
      return { credentials, usableUntil: Infinity, refreshAt: obtainedAt + this.refreshIntervalMs };
    }
    const lifetime = Math.max(0, expiration - obtainedAt);
    const usableUntil = expiration - Math.min(this.expirySafetyMs, lifetime / 4);
    const margin = Math.min(this.refreshBeforeExpiryMs, lifetime / 2);
    // Jitter spreads the refreshes of many processes that got credentials at the same time.
    const refreshAt = expiration - margin - Math.random() * Math.min(MAX_JITTER_MS, margin / 5);
    return { credentials, usableUntil, refreshAt };
  }
}

/**
 * The clients' transports write on the error they get (opensearch-js sets `err.meta` to
 * its request): every caller waiting on one shared provider call gets an error of its own.
 */
function ownError(call: Promise<AwsCredentialIdentity>): Promise<AwsCredentialIdentity> {
  return call.catch((error: unknown) => {
    throw error instanceof AwsSigV4Error ? copyError(error, '') : error;
  });
}

function copyError(error: AwsSigV4Error, suffix: string): AwsSigV4Error {
  const options = error.cause === undefined ? undefined : { cause: error.cause };
  if (error instanceof CredentialsError) return new CredentialsError(error.code, error.message + suffix, options);
  if (error instanceof ConfigurationError) return new ConfigurationError(error.code, error.message + suffix, options);
  return error;
}

/**
 * An identity whose fields and `expiration` (a valid Date, or absent) can be trusted: read
 * once (a getter cannot hand the signer a value other than the one checked), checked, and
 * sealed, so that what the cache hands out never prints its secret.
 */
export function checkIdentity(value: unknown): SealedIdentity {
  const credentials = assertCredentials(readIdentity(value));
  if (credentials instanceof SealedIdentity) return credentials;
  const expiration = expirationOf((credentials as { expiration?: unknown }).expiration);
  return sealIdentity({ ...credentials, expiration });
}

/**
 * The expiration as a Date of our own, its time read once, by Date's own getTime: a Proxy of
 * a Date (which that getTime refuses), a subclass or an own getTime that throws or answers
 * differently each time cannot make the cache judge one instant and keep another, and the
 * provider cannot move it later (setTime) under the cache. A Date of another realm (vm, a test
 * runner's sandbox) is read as the Date it is.
 */
function expirationOf(expiration: unknown): Date | undefined {
  if (expiration === undefined || expiration === null) return undefined;
  const time = ownTimeOf(expiration);
  if (time !== undefined && Number.isFinite(time)) return new Date(time);
  const got = time !== undefined ? 'an invalid Date' : typeof expiration === 'object' ? 'an object that is not a Date' : `a ${typeof expiration}`;
  throw new CredentialsError('ERR_CREDENTIALS_MALFORMED',
    `credentials.expiration must be a Date when given, got ${got}; a custom provider parsing JSON must return new Date(value).`);
}

function expiresAt(credentials: AwsCredentialIdentity): number | undefined {
  return credentials.expiration instanceof Date ? credentials.expiration.getTime() : undefined;
}

function sameCredentials(a: AwsCredentialIdentity, b: AwsCredentialIdentity): boolean {
  return a.accessKeyId === b.accessKeyId && a.secretAccessKey === b.secretAccessKey &&
    (a.sessionToken ?? undefined) === (b.sessionToken ?? undefined) && expiresAt(a) === expiresAt(b);
}

function duration(options: CredentialCacheOptions, name: keyof CredentialCacheOptions, fallback: number, zeroAllowed: boolean): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed) || value > MAX_TIMER_MS) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS',
      `credentialCache.${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number of milliseconds up to ${MAX_TIMER_MS} (about 24.8 days, the longest a timer holds), got ${typeof value === 'number' ? value : `a ${typeof value}`}.`);
  }
  return value;
}

function checkCacheOptions(options: object): void {
  for (const key of Object.keys(options)) {
    if (!KNOWN_CACHE_OPTIONS.has(key)) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', `Unknown credentialCache option ${JSON.stringify(key.slice(0, 60))}. Known: ${[...KNOWN_CACHE_OPTIONS].join(', ')}.`);
    }
  }
}
