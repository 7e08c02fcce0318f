// CredentialCache on a fake clock with fake providers: every timing rule (early refresh,
// safety margin, interval, backoff) is checked to the millisecond without waiting.
// Assertions compare access key ids, never whole identities: a failing deepEqual would
// print the secret and the token.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CredentialCache, type AwsCredentialIdentityProvider, type CredentialCacheOptions } from '../../src/credentials.js';
import { ConfigurationError, CredentialsError } from '../../src/errors.js';
import type { AwsCredentialIdentity } from '../../src/sigv4.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2030, 0, 1);

class FakeClock {
  t = T0;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}

// Fake credentials: shaped like AWS's so the shape-based scrub would catch a long one; the
// secrets are also checked verbatim.
let serial = 0;
function creds(expiresAt?: number, extra: Partial<AwsCredentialIdentity> = {}): AwsCredentialIdentity {
  serial++;
  const n = String(serial).padStart(4, '0');
  return {
    accessKeyId: `ASIATEST${n}`,
    secretAccessKey: `fakeSecret/${n}+k`,
    sessionToken: `fakeToken${n}`,
    ...(expiresAt === undefined ? {} : { expiration: new Date(expiresAt) }),
    ...extra,
  };
}

interface Deferred<T> { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void }
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** A provider whose every call waits for the test to answer it. */
function controlled(): { provider: AwsCredentialIdentityProvider; calls: Array<Deferred<AwsCredentialIdentity>>; at: number[] } {
  const calls: Array<Deferred<AwsCredentialIdentity>> = [];
  const at: number[] = [];
  const provider: AwsCredentialIdentityProvider = () => {
    const d = deferred<AwsCredentialIdentity>();
    calls.push(d);
    return d.promise;
  };
  return { provider, calls, at };
}

/** Lets settled provider promises run their continuations. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function isSync<T>(value: T | Promise<T>): value is T {
  return !(value instanceof Promise);
}

function keyOf(value: AwsCredentialIdentity | Promise<AwsCredentialIdentity>): string {
  return isSync(value) ? value.accessKeyId : '<promise>';
}

async function rejection(value: unknown): Promise<unknown> {
  try {
    await value;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

/** Every rendering of an error a log line could contain. */
function renderings(error: unknown): string {
  const e = error as Error & { cause?: Error };
  return [
    String(e), e.message, e.stack, inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e),
    e.cause?.message, e.cause?.stack, inspect(e.cause, { depth: 10, showHidden: true }),
  ].join('\n');
}

function assertNoSecret(error: unknown, secrets: string[]): void {
  const text = renderings(error);
  secrets.forEach((secret, i) => assert.ok(!text.includes(secret), `secret #${i} appears in the error's message, stack, cause or inspect output`));
}

describe('CredentialCache', () => {
  let clock: FakeClock;
  const cache = (source: ConstructorParameters<typeof CredentialCache>[0], options: CredentialCacheOptions = {}) =>
    new CredentialCache(source, { now: clock.now, ...options });
  /** A cache over a controlled provider, filled once with `first`: the start of the refresh tests. */
  async function warmCache(first: AwsCredentialIdentity) {
    const { provider, calls } = controlled();
    const c = cache(provider);
    const p = c.get();
    calls[0]!.resolve(first);
    await p;
    return { c, calls };
  }

  beforeEach(() => {
    clock = new FakeClock();
  });

  describe('single flight', () => {
    it('1000 concurrent get() on a cold cache make exactly one provider call', async () => {
      const { provider, calls } = controlled();
      const c = cache(provider);
      const pending = Array.from({ length: 1000 }, () => c.get());
      assert.equal(calls.length, 1);
      assert.ok(pending.every((p) => p instanceof Promise), 'a cold cache cannot answer synchronously');
      const issued = creds(T0 + HOUR);
      calls[0]!.resolve(issued);
      const got = await Promise.all(pending);
      // The cache keeps a checked, sealed copy of what the provider issued: one object, for every caller.
      assert.ok(got.every((g) => g === got[0] && g.accessKeyId === issued.accessKeyId && g.secretAccessKey === issued.secretAccessKey), 'every caller gets the one identity the provider issued');
      assert.equal(calls.length, 1);
      assert.equal(c.stats.providerCalls, 1);
      assert.equal(c.stats.refreshes, 1);
      // Warm now: synchronous, no more calls.
      assert.equal(keyOf(c.get()), issued.accessKeyId);
      assert.equal(calls.length, 1);
    });

    it('concurrent callers on a cold cache share one failure (each its own error object), and forceRefresh() joins the call under way', async () => {
      const { provider, calls } = controlled();
      const c = cache(provider);
      const a = c.get();
      const b = c.get();
      const forced = c.forceRefresh();
      assert.equal(calls.length, 1);
      calls[0]!.reject(new Error('connect ECONNREFUSED 127.0.0.1:1338'));
      const errors = await Promise.all([a, b, forced].map(rejection));
      assert.ok(errors.every((e) => e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_PROVIDER'));
      assert.ok(errors.every((e) => (e as Error).message === (errors[0] as Error).message));
      // The clients' transports write on the error (opensearch-js: err.meta), so one object per caller.
      assert.equal(new Set(errors).size, 3);
      assert.equal(c.stats.providerCalls, 1);
    });
  });

  describe('early refresh', () => {
    it('refreshes in the background from expiration minus the margin (with at most 30 s jitter), answering synchronously meanwhile', async () => {
      const first = creds(T0 + HOUR);
      const { c, calls } = await warmCache(first);

      // Before the earliest jittered refresh moment: no call.
      clock.set(T0 + HOUR - 5 * MIN - 30_000 - 1);
      assert.equal(keyOf(c.get()), first.accessKeyId);
      assert.equal(calls.length, 1, 'no refresh before expiration - margin - max jitter');

      // At expiration minus the margin, whatever the jitter: one background call, old credentials returned at once.
      clock.set(T0 + HOUR - 5 * MIN);
      const during = c.get();
      assert.ok(isSync(during), 'get() must not wait while the cached credentials are valid');
      assert.equal(keyOf(during), first.accessKeyId);
      assert.equal(calls.length, 2, 'one background refresh');
      for (let i = 0; i < 100; i++) {
        clock.advance(100);
        assert.equal(keyOf(c.get()), first.accessKeyId);
      }
      assert.equal(calls.length, 2, 'one refresh at a time');

      const second = creds(clock.t + HOUR);
      calls[1]!.resolve(second);
      await flush();
      assert.equal(keyOf(c.get()), second.accessKeyId);
      assert.equal(c.stats.refreshes, 2);
    });

    it('stops using credentials at expiration minus the safety margin: then get() waits for the provider', async () => {
      const first = creds(T0 + HOUR);
      const { c, calls } = await warmCache(first);

      clock.set(T0 + HOUR - 15_000 - 1);
      assert.equal(keyOf(c.get()), first.accessKeyId, 'still usable 1 ms before the safety margin');
      assert.equal(calls.length, 2, 'the refresh window was entered');
      // The background call hangs; past the safety margin the caller must wait for it.
      clock.set(T0 + HOUR - 15_000);
      const waiting = c.get();
      assert.ok(waiting instanceof Promise, 'credentials inside the safety margin must not be used');
      assert.equal(calls.length, 2, 'the waiting caller joins the refresh under way');
      const second = creds(clock.t + HOUR);
      calls[1]!.resolve(second);
      assert.equal((await waiting).accessKeyId, second.accessKeyId);
    });

    it('caps the margin and the safety at a half and a quarter of a short lifetime (20 s credentials)', async () => {
      const { c, calls } = await warmCache(creds(T0 + 20_000));
      // margin = 10 s, jitter <= 2 s, safety = 5 s.
      clock.set(T0 + 8_000 - 1);
      c.get();
      assert.equal(calls.length, 1, 'no refresh before 20 s - 10 s - 2 s');
      clock.set(T0 + 10_000);
      assert.ok(isSync(c.get()));
      assert.equal(calls.length, 2, 'refresh by 20 s - 10 s');
      clock.set(T0 + 15_000 - 1);
      assert.ok(isSync(c.get()), 'usable until 20 s - 5 s');
      clock.set(T0 + 15_000);
      assert.ok(!isSync(c.get()), 'not usable from 20 s - 5 s');
    });

    it('spreads refresh moments with jitter', async () => {
      const moments = new Set<number>();
      for (let i = 0; i < 20; i++) {
        clock.set(T0);
        const { c, calls } = await warmCache(creds(T0 + HOUR));
        clock.set(T0 + HOUR - 5 * MIN - 30_000);
        while (calls.length === 1) {
          clock.advance(250);
          c.get();
        }
        moments.add(clock.t);
      }
      assert.ok(moments.size >= 10, `20 caches refreshed at only ${moments.size} distinct moments`);
    });
  });

  describe('credentials without expiration', () => {
    it('are re-resolved every refreshIntervalMs (default 10 min), so a rotated environment is picked up', async () => {
      const env = { key: 'AKIDROTATE0001', secret: 'rotate/Secret0001' };
      let calls = 0;
      const fromFakeEnv: AwsCredentialIdentityProvider = async () => {
        calls++;
        return { accessKeyId: env.key, secretAccessKey: env.secret };
      };
      const c = cache(fromFakeEnv);
      assert.equal((await c.get()).accessKeyId, 'AKIDROTATE0001');
      env.key = 'AKIDROTATE0002';
      env.secret = 'rotate/Secret0002';
      clock.set(T0 + 10 * MIN - 1);
      assert.equal(keyOf(c.get()), 'AKIDROTATE0001');
      assert.equal(calls, 1, 'not before the interval');
      clock.set(T0 + 10 * MIN);
      assert.equal(keyOf(c.get()), 'AKIDROTATE0001', 'the old ones stay in use while the re-resolution runs');
      await flush();
      assert.equal(calls, 2);
      assert.equal(keyOf(c.get()), 'AKIDROTATE0002');
      // They never expire locally: a day later, still answered synchronously.
      clock.advance(24 * HOUR);
      assert.ok(isSync(c.get()));
    });

    it('honour a short interval even when the provider returns the same credentials each time', async () => {
      let calls = 0;
      const same = { accessKeyId: 'AKIDSAMEKEY0001', secretAccessKey: 'same/Secret0001' };
      const c = cache(async () => { calls++; return same; }, { refreshIntervalMs: 1_000 });
      await c.get();
      for (let i = 0; i < 10; i++) {
        clock.advance(1_000);
        c.get();
        await flush();
      }
      assert.equal(calls, 11, 'one re-resolution per interval');
    });
  });

  describe('failing provider', () => {
    it('backs off exponentially (1, 2, 4 ... s) capped at maxRetryDelayMs (60 s), and starts over after a success', async () => {
      let fail = true;
      const at: number[] = [];
      const c = cache(async () => {
        at.push(clock.t);
        if (fail) throw new Error('Request failed: throttled');
        return creds(clock.t + 10 * HOUR);
      }, { refreshBeforeExpiryMs: 2 * HOUR });
      fail = false;
      await c.get();
      fail = true;
      at.length = 0;
      // Into the refresh window (10 h - 2 h, minus jitter).
      clock.set(T0 + 8 * HOUR);
      for (let step = 0; step < 12 * 60 * 4; step++) { // 12 min by 250 ms steps
        assert.ok(isSync(c.get()), 'valid credentials are kept while the provider fails');
        await flush();
        clock.advance(250);
      }
      const delays = at.slice(1).map((t, i) => (t - at[i]!) / 1000);
      // 250-ms steps: a retry happens in the first step at or after its due time.
      assert.deepEqual(delays.slice(0, 9), [1, 2, 4, 8, 16, 32, 60, 60, 60]);
      assert.ok(delays.every((d) => d <= 60), 'capped at 60 s');
      assert.equal(c.stats.providerFailures, at.length);

      fail = false;
      const failuresSoFar = c.stats.providerFailures;
      const callsSoFar = at.length;
      while (at.length === callsSoFar) {
        clock.advance(250);
        c.get();
        await flush();
      }
      assert.equal(c.stats.providerFailures, failuresSoFar, 'the last call succeeded');
      // The next failure series starts at 1 s again (new credentials: 10 h, window from 8 h).
      fail = true;
      clock.advance(8 * HOUR);
      c.get();
      await flush();
      const start = clock.t;
      const before = at.length;
      while (at.length === before) {
        clock.advance(250);
        c.get();
        await flush();
      }
      assert.equal(clock.t - start, 1_000, 'the backoff is reset by a success');
    });

    it('retries before the kept credentials run out even when the backoff would wait longer', async () => {
      let fail = false;
      const at: number[] = [];
      const c = cache(async () => {
        at.push(clock.t - T0);
        if (fail) throw new Error('Request failed: throttled');
        return creds(clock.t + 60_000);
      });
      const random = Math.random;
      Math.random = () => 0; // no jitter: the window opens at exactly 60 s - 30 s
      try {
        await c.get();
      } finally {
        Math.random = random;
      }
      fail = true;
      at.length = 0;
      // Usable until 45 s. The plain backoff would try at 30, 31, 33, 37 and then 45 s: too late.
      for (let t = 0; t < 45_000; t += 100) {
        clock.set(T0 + t);
        assert.ok(isSync(c.get()));
        await flush();
      }
      assert.deepEqual(at, [30_000, 31_000, 33_000, 37_000, 41_000, 43_000, 44_000]);
    });

    it('with no valid credentials: a CredentialsError whose cause is the scrubbed provider error, then fails fast during the backoff', async () => {
      // A secret the shape-based scrub cannot recognise (short), known only because the
      // cache held it, and an AWS-shaped one it never held.
      const held = creds(T0 + 20 * MIN, { secretAccessKey: 'heldSecret9', sessionToken: 'heldToken9' });
      const awsShaped = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
      let fail = false;
      let calls = 0;
      const c = cache(async () => {
        calls++;
        if (!fail) return held;
        const error = new Error(`could not parse profile: aws_secret_access_key=${held.secretAccessKey} aws_session_token=${held.sessionToken} other=${awsShaped}`) as Error & { code: string };
        error.name = 'CredentialsProviderError';
        error.code = 'EPROFILE';
        throw error;
      });
      await c.get();
      fail = true;
      clock.set(T0 + 20 * MIN - 15_000); // past the safety margin: nothing valid
      const error = await rejection(c.get());
      assert.ok(error instanceof CredentialsError, 'a CredentialsError');
      assert.equal(error.code, 'ERR_CREDENTIALS_PROVIDER');
      const cause = error.cause as Error & { code?: string };
      assert.ok(cause instanceof Error, 'the provider error is the cause');
      assert.equal(cause.name, 'CredentialsProviderError');
      assert.equal(cause.code, 'EPROFILE');
      assert.match(cause.message, /could not parse profile/);
      assert.match(error.message, /could not parse profile/);
      assertNoSecret(error, [held.secretAccessKey, held.sessionToken!, awsShaped]);

      // During the backoff: no call, the same kind of error at once.
      const callsBefore = calls;
      clock.advance(999);
      const fast = await rejection(c.get());
      assert.equal(calls, callsBefore, 'no provider call during the backoff');
      assert.ok(fast instanceof CredentialsError && fast.code === 'ERR_CREDENTIALS_PROVIDER');
      assert.ok((fast.cause as Error).message.includes('could not parse profile'));
      assert.match(fast.message, /asked again in 1 ms/);
      assertNoSecret(fast, [held.secretAccessKey, held.sessionToken!, awsShaped]);
      // After it: asked again.
      clock.advance(1);
      await rejection(c.get());
      assert.equal(calls, callsBefore + 1);
      // forceRefresh ignores the backoff (AWS just said the credentials are no good).
      await rejection(c.forceRefresh());
      assert.equal(calls, callsBefore + 2);
    });

    it('a provider that throws synchronously, or a non-Error, is a CredentialsError too', async () => {
      const sync = cache((() => { throw new TypeError('bad init'); }) as unknown as AwsCredentialIdentityProvider);
      const e1 = await rejection(sync.get());
      assert.ok(e1 instanceof CredentialsError && (e1.cause as Error).name === 'TypeError');
      const str = cache(() => Promise.reject('plain string'));
      const e2 = await rejection(str.get());
      assert.ok(e2 instanceof CredentialsError && (e2.cause as Error).message === 'plain string');
    });

    it('a configuration error of ours (e.g. the missing peer dependency) reaches the caller typed, not wrapped', async () => {
      const c = cache(async () => {
        throw new ConfigurationError('ERR_MISSING_PEER_DEPENDENCY', 'No credentials were given and @aws-sdk/credential-providers is not installed');
      });
      const first = await rejection(c.get());
      assert.ok(first instanceof ConfigurationError && first.code === 'ERR_MISSING_PEER_DEPENDENCY');
      const again = await rejection(c.get()); // during the backoff
      assert.ok(again instanceof ConfigurationError && again.code === 'ERR_MISSING_PEER_DEPENDENCY');
      assert.notEqual(again, first);
      assert.equal(c.stats.providerCalls, 1);
    });

    it('a provider that hangs counts as failed after providerTimeoutMs', async () => {
      const c = new CredentialCache(() => new Promise(() => undefined), { providerTimeoutMs: 50 });
      const started = Date.now();
      const error = await rejection(c.get());
      assert.ok(error instanceof CredentialsError && error.code === 'ERR_CREDENTIALS_PROVIDER');
      assert.match(error.message, /did not answer within 50 ms/);
      assert.ok(Date.now() - started < 1_000);
      assert.equal(c.stats.providerFailures, 1);
    });
  });

  describe('bad answers from the provider', () => {
    const cases: Array<[string, unknown, string]> = [
      ['null', null, 'ERR_CREDENTIALS_MALFORMED'],
      ['no secret', { accessKeyId: 'AKIDNOSECRET01' }, 'ERR_CREDENTIALS_MALFORMED'],
      ['an empty key', { accessKeyId: '', secretAccessKey: 'someSecret/01' }, 'ERR_CREDENTIALS_MALFORMED'],
      ['a numeric token', { accessKeyId: 'AKIDNUMTOKEN01', secretAccessKey: 'someSecret/01', sessionToken: 42 }, 'ERR_CREDENTIALS_MALFORMED'],
      ['a string expiration', { accessKeyId: 'AKIDSTREXP0001', secretAccessKey: 'someSecret/01', expiration: '2030-01-01T01:00:00Z' }, 'ERR_CREDENTIALS_MALFORMED'],
      ['an invalid Date', { accessKeyId: 'AKIDBADDATE001', secretAccessKey: 'someSecret/01', expiration: new Date('nope') }, 'ERR_CREDENTIALS_MALFORMED'],
      ['already expired', { accessKeyId: 'AKIDEXPIRED001', secretAccessKey: 'someSecret/01', expiration: new Date(T0 - 1) }, 'ERR_CREDENTIALS_EXPIRED'],
      ['expiring right now', { accessKeyId: 'AKIDEXPIRED002', secretAccessKey: 'someSecret/01', expiration: new Date(T0) }, 'ERR_CREDENTIALS_EXPIRED'],
    ];
    for (const [name, answer, code] of cases) {
      it(`${name}: ${code}, counted as a failure, and no secret in the error`, async () => {
        const c = cache(async () => answer as AwsCredentialIdentity);
        const error = await rejection(c.get());
        assert.ok(error instanceof CredentialsError, 'a CredentialsError');
        assert.equal(error.code, code);
        assert.equal(c.stats.providerFailures, 1);
        assertNoSecret(error, ['someSecret/01']);
        // Backing off like any failure: no second call at once.
        await rejection(c.get());
        assert.equal(c.stats.providerCalls, 1);
      });
    }

    it('a null expiration means none', async () => {
      const c = cache(async () => ({ accessKeyId: 'AKIDNULLEXP001', secretAccessKey: 'someSecret/01', expiration: null as unknown as undefined }));
      assert.equal((await c.get()).accessKeyId, 'AKIDNULLEXP001');
      clock.advance(9 * MIN);
      assert.ok(isSync(c.get()));
    });

    it('malformed answers during a refresh keep the last good credentials', async () => {
      let answer: unknown = creds(T0 + HOUR);
      const c = cache(async () => answer as AwsCredentialIdentity);
      const good = await c.get();
      answer = { accessKeyId: 'AKIDBROKEN0001' };
      clock.set(T0 + HOUR - 5 * MIN);
      assert.equal(keyOf(c.get()), good.accessKeyId);
      await flush();
      assert.equal(c.stats.providerFailures, 1);
      assert.equal(keyOf(c.get()), good.accessKeyId);
    });
  });

  describe('memoizing provider', () => {
    it('handing back the cached credentials does not become a hot loop, and they are used up to their expiration', async () => {
      const memo = creds(T0 + HOUR);
      let calls = 0;
      const c = cache(async () => { calls++; return memo; });
      await c.get();
      // Every 100 ms, a request, from before the refresh window to 1 ms before expiration.
      let waited = 0;
      for (clock.set(T0 + HOUR - 6 * MIN); clock.t < T0 + HOUR; clock.advance(100)) {
        const got = c.get();
        if (!isSync(got)) waited++;
        await got;
        await flush();
      }
      console.log(`      memoizing provider: ${calls} calls in 6 min of a request every 100 ms`);
      assert.ok(calls <= 25, `${calls} provider calls for one memoized identity in 6 minutes`);
      // Past the safety margin one request waits for the provider, which has nothing newer:
      // the identity, still valid, is then used to its expiration rather than failing.
      assert.ok(waited <= 1, `${waited} requests waited`);
      const answered = calls;
      // At expiration, they are no longer returned; the provider hands back expired ones.
      clock.set(T0 + HOUR);
      const error = await rejection(c.get());
      assert.ok(error instanceof CredentialsError && error.code === 'ERR_CREDENTIALS_EXPIRED');
      assert.equal(c.stats.unchanged, answered - 1);
      assert.equal(c.stats.refreshes, 1);
    });

    it('the safety margin is kept from the first receipt, not recomputed from what is left', async () => {
      const memo = creds(T0 + HOUR);
      const fresh = creds(T0 + 2 * HOUR);
      let answer = memo;
      let repeats = -1;
      const c = cache(async () => { if (answer === memo) repeats++; return answer; });
      await c.get();
      // The provider returns the same identity throughout the window: the late answers
      // (with seconds left) must not shrink the 15-s safety margin.
      for (clock.set(T0 + HOUR - 5 * MIN); clock.t < T0 + HOUR - 15_000; clock.advance(100)) {
        assert.ok(isSync(c.get()));
        await flush();
      }
      assert.ok(repeats >= 5, `only ${repeats} repeated answers`);
      answer = fresh;
      const got = c.get();
      assert.ok(!isSync(got), 'inside the 15-s safety margin the memoized identity is not used');
      assert.equal((await got).accessKeyId, fresh.accessKeyId);
      assert.equal(c.stats.unchanged, repeats);
    });
  });

  describe('static identity', () => {
    it('without expiration: always answered synchronously, never refreshed', () => {
      const id = { accessKeyId: 'AKIDSTATIC0001', secretAccessKey: 'static/Secret01' };
      const c = cache(id);
      clock.advance(365 * 24 * HOUR);
      assert.equal(keyOf(c.get()), 'AKIDSTATIC0001');
      assert.equal(c.stats.providerCalls, 0);
    });

    it('with expiration: usable until the safety margin, then ERR_CREDENTIALS_EXPIRED naming the masked key only', async () => {
      const id = creds(T0 + HOUR);
      const c = cache(id);
      clock.set(T0 + HOUR - 15_001);
      assert.equal(keyOf(c.get()), id.accessKeyId);
      clock.set(T0 + HOUR - 15_000);
      const error = await rejection(c.get());
      assert.ok(error instanceof CredentialsError && error.code === 'ERR_CREDENTIALS_EXPIRED');
      assert.match(error.message, /ASIA\.\.\.\d{4}/);
      assert.ok(!error.message.includes(id.accessKeyId), 'the key is masked');
      assertNoSecret(error, [id.secretAccessKey, id.sessionToken!]);
      const forced = await rejection(c.forceRefresh());
      assert.ok(forced instanceof CredentialsError && forced.code === 'ERR_CREDENTIALS_EXPIRED');
    });

    it('malformed: rejected when the cache is built, not per request', () => {
      assert.throws(() => cache({ accessKeyId: 'AKIDSTATIC0001' } as AwsCredentialIdentity), (e: unknown) => e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_MALFORMED');
      assert.throws(() => cache({ accessKeyId: 'AKIDSTATIC0001', secretAccessKey: 's/1', expiration: 'tomorrow' } as unknown as AwsCredentialIdentity),
        (e: unknown) => e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_MALFORMED');
    });
  });

  describe('invalidate and forceRefresh', () => {
    it('invalidate drops only the identity AWS refused; forceRefresh replaces it', async () => {
      let n = 0;
      const issued: AwsCredentialIdentity[] = [];
      const c = cache(async () => { n++; const x = creds(clock.t + HOUR); issued.push(x); return x; });
      const first = await c.get();
      c.invalidate({ ...first }); // a copy is not the cached identity
      assert.equal(keyOf(c.get()), first.accessKeyId);
      c.invalidate(first);
      const next = c.forceRefresh();
      assert.equal(n, 2);
      const got = c.get();
      assert.ok(!isSync(got), 'nothing signs with a refused identity');
      assert.equal((await next).accessKeyId, issued[1]!.accessKeyId);
      assert.equal((await got).accessKeyId, issued[1]!.accessKeyId);
      assert.equal(n, 2, 'get() joined the forced refresh');
    });

    it('forceRefresh(refused) makes no call when the cache already holds other credentials (N requests refused together)', async () => {
      let n = 0;
      const c = cache(async () => { n++; return creds(clock.t + HOUR); });
      const refused = await c.get();
      // Request 1 of several refused together: drops them and refreshes.
      c.invalidate(refused);
      const fresh = await c.forceRefresh(refused);
      assert.equal(n, 2);
      assert.notEqual(fresh.accessKeyId, refused.accessKeyId);
      // Requests 2..N: the refused identity is no longer cached; they get the fresh one, no call.
      for (let i = 0; i < 10; i++) {
        c.invalidate(refused);
        assert.equal((await c.forceRefresh(refused)).accessKeyId, fresh.accessKeyId);
      }
      assert.equal(n, 2);
      // Still the refused one cached (not invalidated): a call is made.
      await c.forceRefresh(fresh);
      assert.equal(n, 3);
    });

    it('a failed forceRefresh keeps the cached credentials in use', async () => {
      let fail = false;
      const c = cache(async () => { if (fail) throw new Error('down'); return creds(clock.t + HOUR); });
      const first = await c.get();
      fail = true;
      await rejection(c.forceRefresh());
      assert.equal(keyOf(c.get()), first.accessKeyId);
    });
  });

  describe('what keeps the process alive', () => {
    /** `run()`, and the timers it set (the providerTimeoutMs timer of a provider call). */
    function timersOf<T>(run: () => T): { value: T; timers: NodeJS.Timeout[] } {
      const timers: NodeJS.Timeout[] = [];
      const original = globalThis.setTimeout;
      globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
        const timer = original(...args);
        timers.push(timer);
        return timer;
      }) as typeof setTimeout;
      try {
        return { value: run(), timers };
      } finally {
        globalThis.setTimeout = original;
      }
    }

    it('a provider call a request waits for holds the process until it answers (es9 and fetch have no other timer: it exited mid-await, code 0)', async () => {
      const { provider, calls } = controlled();
      const c = cache(provider);
      const { value: waiting, timers } = timersOf(() => c.get());
      assert.equal(timers.length, 1);
      assert.ok(timers[0]!.hasRef(), 'the providerTimeoutMs timer holds the process for the caller');
      calls[0]!.resolve(creds(T0 + HOUR));
      await waiting;
    });

    it('a background refresh does not hold the process; a caller that joins it (credentials ran out) does', async () => {
      const { c, calls } = await warmCache(creds(T0 + HOUR));
      clock.set(T0 + HOUR - 5 * MIN);
      const { value: now, timers } = timersOf(() => c.get());
      assert.ok(isSync(now));
      assert.equal(calls.length, 2, 'a background refresh under way');
      assert.equal(timers.length, 1);
      assert.ok(!timers[0]!.hasRef(), 'nobody waits for it');
      clock.set(T0 + HOUR);
      const waiting = c.get();
      assert.equal(calls.length, 2, 'joined, not called again');
      assert.ok(timers[0]!.hasRef(), 'held once a caller waits for it');
      calls[1]!.resolve(creds(T0 + 2 * HOUR));
      await waiting;
    });

    it('forceRefresh (a request re-signing after a refusal) holds the process too', async () => {
      const { c, calls } = await warmCache(creds(T0 + HOUR));
      const { value: forced, timers } = timersOf(() => c.forceRefresh());
      assert.ok(timers[0]!.hasRef());
      calls[1]!.resolve(creds(T0 + 2 * HOUR));
      await forced;
    });
  });

  describe('options', () => {
    it('rejects values that would make a hot loop or make no sense', () => {
      for (const bad of [{ retryDelayMs: 0 }, { refreshIntervalMs: 0 }, { maxRetryDelayMs: -1 }, { expirySafetyMs: Number.NaN }, { providerTimeoutMs: '5' }]) {
        assert.throws(() => cache(async () => creds(), bad as CredentialCacheOptions), ConfigurationError, JSON.stringify(bad));
      }
      assert.doesNotThrow(() => cache(async () => creds(), { expirySafetyMs: 0, refreshBeforeExpiryMs: 0 }));
    });
  });
});
