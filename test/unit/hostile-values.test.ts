/**
 * Values that fight back, each ending in its typed error (or, for a debugging hook, in
 * nothing at all) and never in a raw TypeError or a quoted secret: thrown values that cannot
 * be printed (a null prototype, a toString or a getter that throws, Proxies), options and
 * credentials behind getters that change or throw, a secret key with white space, a
 * refusal's Date far off, a signing date no x-amz-date can hold. No network: a loopback
 * server counts what reaches it.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { CredentialCache, type AwsCredentialIdentityProvider } from '../../src/credentials.js';
import { defaultCredentialProvider } from '../../src/default-credentials.js';
import { ConfigurationError, CredentialsError, describeThrown, scrubCause, SignatureRejectedError } from '../../src/errors.js';
import { createSignedFetch } from '../../src/fetch.js';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import { classifyRejection } from '../../src/rejection.js';
import { RequestSigner, type AwsSigV4Options, type SignInput, type SigningEvent } from '../../src/request-signer.js';
import { presignRequest, resetSigV4Caches, signRequest } from '../../src/sigv4.js';
import { createSignedFetch as createWebSignedFetch } from '../../src/web-node.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYHOSTILEKEY';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET };
const base: AwsSigV4Options = { region: 'us-east-1', service: 'es', credentials };

/** Thrown values that String() or a property read cannot take as they are. */
function exoticThrows(): Array<[string, () => unknown]> {
  return [
    ['Object.create(null)', () => Object.create(null)],
    ['an object whose toString throws', () => ({ toString() { throw new Error(`toString threw ${SECRET}`); } })],
    ['an Error whose message getter throws', () => {
      const e = new Error('x');
      Object.defineProperty(e, 'message', { get() { throw new Error('message getter threw'); } });
      return e;
    }],
    ['an Error whose name getter throws', () => {
      const e = new Error('x');
      Object.defineProperty(e, 'name', { get() { throw new Error('name getter threw'); } });
      return e;
    }],
    ['a revoked Proxy', () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }],
    ['a Proxy whose every trap throws', () => new Proxy({}, {
      get() { throw new Error('get trap'); },
      getPrototypeOf() { throw new Error('getPrototypeOf trap'); },
    })],
  ];
}

function renderings(error: unknown): string {
  const e = error as Error & { cause?: Error };
  return [String(e), e.message, String(e.stack), inspect(e, { depth: 10, showHidden: true }), String(e.cause?.message), String(e.cause?.stack)].join('\n');
}

function input(pathAndQuery = '/'): SignInput {
  return { method: 'GET', nodeUrl: new URL('https://search-x.us-east-1.es.amazonaws.com'), pathAndQuery, headers: {}, body: undefined, attempt: 0 };
}

describe('hostile values: typed errors, never a raw throw or a quoted secret', function () {
  let server: Server;
  let url = '';
  const seen: IncomingMessage[] = [];
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_, res) => res.end('{}');

  before(async function () {
    server = createServer((req, res) => {
      seen.push(req);
      answer(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async function () {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(function () {
    resetSigV4Caches();
    seen.length = 0;
    answer = (_, res) => res.end('{}');
  });

  describe('a secret access key with white space', function () {
    it("a provider's result with a trailing newline is ERR_CREDENTIALS_MALFORMED, the secret unquoted, and nothing is sent", async function () {
      for (const secret of [`${SECRET}\n`, ` ${SECRET}`, `${SECRET.slice(0, 20)} ${SECRET.slice(20)}`]) {
        const provider: AwsCredentialIdentityProvider = async () => ({ ...credentials, secretAccessKey: secret });
        for (const create of [createSignedFetch, createWebSignedFetch]) {
          const signedFetch = create({ ...base, credentials: provider });
          await assert.rejects(signedFetch(url), (e: unknown) => {
            assert.ok(e instanceof CredentialsError, String(e));
            assert.equal(e.code, 'ERR_CREDENTIALS_MALFORMED');
            assert.match(e.message, /secretAccessKey contains white space/);
            assert.ok(!renderings(e).includes(SECRET.slice(0, 16)), 'the secret is quoted');
            return true;
          });
        }
      }
      assert.equal(seen.length, 0);
    });

    it('the cache refuses it from a provider and as a static identity', async function () {
      await assert.rejects(Promise.resolve(new CredentialCache(async () => ({ ...credentials, secretAccessKey: `${SECRET}\r\n` })).get()),
        (e: unknown) => e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_MALFORMED');
      assert.throws(() => new CredentialCache({ ...credentials, secretAccessKey: `${SECRET}\n` }),
        (e: unknown) => e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_MALFORMED');
    });
  });

  describe('a credential provider throwing what String() cannot print', function () {
    for (const [label, thrown] of exoticThrows()) {
      it(`${label}: ERR_CREDENTIALS_PROVIDER, through the cache and createSignedFetch`, async function () {
        const provider: AwsCredentialIdentityProvider = async () => { throw thrown(); };
        await assert.rejects(Promise.resolve(new CredentialCache(provider).get()), (e: unknown) => {
          assert.ok(e instanceof CredentialsError, `got ${describeThrown(e).name}: ${describeThrown(e).message}`);
          assert.equal(e.code, 'ERR_CREDENTIALS_PROVIDER');
          assert.ok(e.cause instanceof Error, 'the cause is an Error');
          assert.ok(!renderings(e).includes(SECRET), 'the secret is quoted');
          return true;
        });
        await assert.rejects(createSignedFetch({ ...base, credentials: provider })(url), (e: unknown) => e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_PROVIDER');
        assert.equal(seen.length, 0);
      });
    }

    it('scrubCause and describeThrown never throw, and a getter that throws reads as absent', function () {
      for (const [label, thrown] of exoticThrows()) {
        const value = thrown();
        const description = describeThrown(value);
        assert.equal(typeof description.name, 'string', label);
        assert.equal(typeof description.message, 'string', label);
        const copy = scrubCause(value, [SECRET]);
        assert.ok(copy instanceof Error, label);
        assert.ok(!copy.message.includes(SECRET), label);
      }
      const e = new Error('kept');
      Object.defineProperty(e, 'name', { get() { throw new Error('no'); } });
      assert.deepEqual([describeThrown(e).name, describeThrown(e).message], ['Error', 'kept']);
      const m = new Error('x');
      Object.defineProperty(m, 'message', { get() { throw new Error('no'); } });
      assert.equal(describeThrown(m).message, '');
      // A plain object with error-like fields says what they say.
      assert.deepEqual(describeThrown({ name: 'ProviderError', message: 'no profile', code: 'ENOENT' }), { name: 'ProviderError', message: 'no profile', code: 'ENOENT' });
      assert.deepEqual(describeThrown('a string'), { name: 'Error', message: 'a string' });
    });
  });

  describe('RequestSigner.sign: a clock correction for one attempt', function () {
    it('signs that attempt at our clock plus it, leaves the signer\'s learned one alone, and refuses one beyond 24 hours or no number', function () {
      const signer = new RequestSigner(base);
      const amzDate = (offset?: number) => signer.sign({ ...input(), clockOffsetMs: offset }, credentials).headers['x-amz-date']!;
      const at = (date: string) => Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      assert.ok(Math.abs(at(amzDate(3_600_000)) - (Date.now() + 3_600_000)) < 5000, 'an hour ahead');
      assert.ok(Math.abs(at(amzDate()) - Date.now()) < 5000, 'without it, our clock');
      assert.equal(signer.clockOffsetMs, 0);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 24 * 3_600_000 + 1, -25 * 3_600_000, '5000', null]) {
        assert.throws(() => signer.sign({ ...input(), clockOffsetMs: bad as number }, credentials),
          (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS' && /clockOffsetMs must be a number of milliseconds within 24 hours/.test(e.message), String(bad));
      }
    });
  });

  describe('an onSign that throws what String() cannot print', function () {
    for (const [label, thrown] of exoticThrows()) {
      it(`${label}: the request is signed and sent, one warning`, async function () {
        // What the signer hands to process.emitWarning, collected (and not printed).
        const warnings: Array<{ message: string; code?: string }> = [];
        const emitWarning = process.emitWarning;
        process.emitWarning = ((message: string, options?: { code?: string }) => { warnings.push({ message, code: options?.code }); }) as typeof process.emitWarning;
        try {
          const signer = new RequestSigner({ ...base, onSign: () => { throw thrown(); } });
          for (let i = 0; i < 2; i++) assert.match(signer.sign(input(), credentials).headers.authorization!, /^AWS4-HMAC-SHA256 /);
          const answer = await createSignedFetch({ ...base, onSign: () => { throw thrown(); } })(url);
          assert.equal(answer.status, 200);
        } finally {
          process.emitWarning = emitWarning;
        }
        assert.equal(warnings.length, 2, 'one per signer');
        for (const w of warnings) {
          assert.equal(w.code, 'AWS_SIGV4_ONSIGN_THREW');
          assert.ok(!w.message.includes(SECRET), 'the warning quotes the secret');
        }
      });
    }

    it('a process.emitWarning that throws does not fail the request either', function () {
      const emitWarning = process.emitWarning;
      process.emitWarning = () => { throw new Error('emitWarning replaced'); };
      try {
        const signer = new RequestSigner({ ...base, onSign: () => { throw new Error('hook'); } });
        assert.match(signer.sign(input(), credentials).headers.authorization!, /^AWS4-HMAC-SHA256 /);
      } finally {
        process.emitWarning = emitWarning;
      }
    });
  });

  describe("a refusal's Date far off, and a signing date x-amz-date cannot hold", function () {
    const expired = JSON.stringify({ message: 'Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z (20260101T001000Z - 5 min.)' });

    for (const [label, date] of [
      ['year 275759', 'Fri, 31 Dec 275759 00:00:00 GMT'],
      ['25 hours ahead', new Date(Date.now() + 25 * 3600_000).toUTCString()],
      ['25 hours behind', new Date(Date.now() - 25 * 3600_000).toUTCString()],
    ] as const) {
      it(`a "Signature expired" with a Date ${label}: no clock correction, no retry, the typed refusal handed on`, async function () {
        answer = (_, res) => {
          res.writeHead(403, { 'content-type': 'application/json', date });
          res.end(expired);
        };
        const signedFetch = createSignedFetch(base);
        await assert.rejects(signedFetch(url), (e: unknown) => {
          assert.ok(e instanceof SignatureRejectedError, String(e));
          assert.equal(e.code, 'ERR_REQUEST_TIME_SKEWED');
          assert.equal(e.clockSkewMs, undefined);
          return true;
        });
        assert.equal(seen.length, 1, 'retried on an implausible Date');
        answer = (_, res) => res.end('{}');
        assert.equal((await signedFetch(url)).status, 200);
        const amzDate = seen[1]!.headers['x-amz-date'] as string;
        assert.match(amzDate, /^\d{8}T\d{6}Z$/);
        assert.ok(Math.abs(Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) - Date.now()) < 60_000, amzDate);
      });
    }

    it('(control, held before the bound too) an unparseable Date is not believed; a skew within the bound (10 minutes) is learned and retried', async function () {
      assert.equal(classifyRejection({ statusCode: 403, body: expired, date: 'yesterday-ish' })!.clockSkewMs, undefined);
      let n = 0;
      answer = (_, res) => {
        if (n++ > 0) return res.end('{}');
        res.writeHead(403, { 'content-type': 'application/json', date: new Date(Date.now() + 600_000).toUTCString() });
        res.end(expired);
      };
      assert.equal((await createSignedFetch(base)(url)).status, 200);
      assert.equal(seen.length, 2);
      const skew = classifyRejection({ statusCode: 403, body: expired, date: new Date(Date.now() + 600_000).toUTCString() })!.clockSkewMs!;
      assert.ok(Math.abs(skew - 600_000) < 2_000, String(skew));
    });

    it('a signingDate outside the years 0000-9999 is ERR_INVALID_OPTIONS, for signRequest and presignRequest; the edges sign', function () {
      const request = { method: 'GET', url: 'https://search-x.eu-west-1.es.amazonaws.com/' };
      for (const date of ['+010000-01-01T00:00:00Z', '-000001-12-31T23:59:59Z', '+275760-09-13T00:00:00Z']) {
        for (const sign of [signRequest, presignRequest]) {
          assert.throws(() => sign(request, { ...base, region: 'eu-west-1', credentials, signingDate: new Date(date) } as never),
            (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS' && /years 0000 to 9999/.test(e.message), date);
        }
      }
      const options = { region: 'eu-west-1', service: 'es', credentials };
      assert.equal(signRequest(request, { ...options, signingDate: new Date('9999-12-31T23:59:59.999Z') }).headers['x-amz-date'], '99991231T235959Z');
      assert.equal(signRequest(request, { ...options, signingDate: new Date('0000-01-01T00:00:00Z') }).headers['x-amz-date'], '00000101T000000Z');
    });

    it('the second before the epoch signs with its own x-amz-date on a cold cache', function () {
      resetSigV4Caches();
      const signed = signRequest({ method: 'GET', url: 'https://search-x.eu-west-1.es.amazonaws.com/' },
        { region: 'eu-west-1', service: 'es', credentials, signingDate: new Date('1969-12-31T23:59:59.500Z') });
      assert.equal(signed.headers['x-amz-date'], '19691231T235959Z');
    });
  });

  describe('options and credentials behind getters and Proxies', function () {
    it('configure() and RequestSigner read each option once: the value checked is the value used', function () {
      const makers: Array<[string, (options: AwsSigV4Options) => RequestSigner]> = [
        ['configure()', (o) => AwsSigV4Connection.configure(o).signer],
        ['RequestSigner', (o) => new RequestSigner(o)],
      ];
      for (const [name, make] of makers) {
        let reads = 0;
        const events: SigningEvent[] = [];
        const options = Object.defineProperty({ service: 'es', credentials, onSign: (e: SigningEvent) => { events.push(e); } }, 'region', {
          enumerable: true,
          get: () => (reads++ === 0 ? 'us-east-1' : 'not-the-validated-one'),
        });
        const signer = make(options as AwsSigV4Options);
        assert.equal(reads, 1, `${name}: the getter is read once`);
        assert.equal(signer.options.region, 'us-east-1', name);
        signer.sign(input(), credentials);
        assert.equal(events[0]!.region, 'us-east-1', `${name}: signed for the region checked`);
      }
    });

    it('a static identity is read once: a secret getter cannot hand the signer what was never checked', function () {
      let reads = 0;
      const identity = {
        accessKeyId: 'AKIDEXAMPLE',
        get secretAccessKey() { return reads++ === 0 ? SECRET : `${SECRET}\n`; },
      };
      const signer = new RequestSigner({ ...base, credentials: identity });
      assert.equal(reads, 1);
      const held = signer.credentialCache().get() as { secretAccessKey: string };
      assert.equal(held.secretAccessKey, SECRET);
      assert.equal(reads, 1);
    });

    it('an options getter or Proxy trap that throws is ERR_INVALID_OPTIONS, its text (a secret) unquoted', function () {
      const throwingGetter = Object.defineProperty({ service: 'es' }, 'region', { enumerable: true, get() { throw new Error(`no region for ${SECRET}`); } });
      const ownKeysTrap = new Proxy({}, { ownKeys() { throw new Error(`ownKeys trap ${SECRET}`); } });
      const { proxy: revoked, revoke } = Proxy.revocable({}, {});
      revoke();
      const makers: Array<[string, (options: AwsSigV4Options) => unknown]> = [
        ['configure()', (o) => AwsSigV4Connection.configure(o)],
        ['RequestSigner', (o) => new RequestSigner(o)],
      ];
      for (const [name, make] of makers) {
        for (const [label, options] of [['a throwing getter', throwingGetter], ['a throwing ownKeys trap', ownKeysTrap], ['a revoked Proxy', revoked]] as const) {
          assert.throws(() => make(options as AwsSigV4Options), (e: unknown) => {
            assert.ok(e instanceof ConfigurationError, `${name}, ${label}: ${describeThrown(e).message}`);
            assert.equal(e.code, 'ERR_INVALID_OPTIONS');
            assert.ok(!renderings(e).includes(SECRET), `${name}, ${label}: the secret is quoted`);
            return true;
          });
        }
      }
    });

    it('a credentialCache Proxy is ERR_INVALID_OPTIONS through configure(), createSignedFetch and the cache itself', function () {
      const cacheOptions = new Proxy({}, { ownKeys() { throw new Error('ownKeys trap'); } });
      const typed = (e: unknown): boolean => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS';
      assert.throws(() => AwsSigV4Connection.configure({ ...base, credentialCache: cacheOptions }), typed);
      assert.throws(() => createSignedFetch({ ...base, credentialCache: cacheOptions }), typed);
      assert.throws(() => createWebSignedFetch({ ...base, credentialCache: cacheOptions }), typed);
      assert.throws(() => new CredentialCache(credentials, cacheOptions), typed);
    });

    it('credentials whose getters throw (quoting the secret) are ERR_CREDENTIALS_MALFORMED, the secret unquoted', async function () {
      // `then` answered: a provider's promise reads it, and a throw there is the provider's failure (ERR_CREDENTIALS_PROVIDER).
      const hostile = new Proxy({}, {
        get(_, key) {
          if (key === 'then') return undefined;
          throw new Error(`cannot read ${String(key)} (${SECRET})`);
        },
      }) as never;
      const check = (e: unknown): boolean => {
        assert.ok(e instanceof CredentialsError, describeThrown(e).message);
        assert.equal(e.code, 'ERR_CREDENTIALS_MALFORMED');
        assert.ok(!renderings(e).includes(SECRET), 'the secret is quoted');
        return true;
      };
      assert.throws(() => AwsSigV4Connection.configure({ region: 'us-east-1', credentials: hostile }), check);
      const noPrototype = new Proxy({}, { getPrototypeOf() { throw new Error(`getPrototypeOf trap (${SECRET})`); } }) as never;
      assert.throws(() => new RequestSigner({ region: 'us-east-1', credentials: noPrototype }), check);
      assert.throws(() => createSignedFetch({ region: 'us-east-1', credentials: hostile }), check);
      assert.throws(() => createWebSignedFetch({ region: 'us-east-1', credentials: hostile }), check);
      await assert.rejects(createSignedFetch({ ...base, credentials: async () => hostile })(url), check);
      assert.equal(seen.length, 0);
    });
  });

  describe('secrets scrubbed by value where they were not yet', function () {
    it('the onSign event holds the secret key nowhere, by value, even where a caller put it in the query', function () {
      const events: SigningEvent[] = [];
      const signer = new RequestSigner({ ...base, onSign: (e) => events.push(e) });
      signer.sign(input(`/_search?k=${encodeURIComponent(SECRET)}&raw=${SECRET}`), credentials);
      const text = JSON.stringify(events[0]);
      assert.ok(!text.includes(SECRET) && !text.includes(encodeURIComponent(SECRET)), text);
      assert.match(events[0]!.url, /k=\[REDACTED\]/);
    });

    it("the default chain's error is scrubbed of the environment's secret and token by value, before any identity is known", async function () {
      // Not secret-shaped (no run of 40 base64 characters): only a scrub by value finds them.
      const envSecret = 'env-secret-value-not-shaped-1';
      const envToken = 'env-token-value-not-shaped-22';
      // The SDK's chain, as loaded: injected (swapping the module in require.cache would stay
      // in the ESM loader's cache, which import() fills, for every later test of the process).
      const chain = () => async (): Promise<never> => { throw Object.assign(new Error(`credential_process said ${envSecret} / ${envToken}`), { name: 'CredentialsProviderError' }); };
      const env = { secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
      process.env.AWS_SECRET_ACCESS_KEY = envSecret;
      process.env.AWS_SESSION_TOKEN = envToken;
      try {
        await assert.rejects(Promise.resolve(new CredentialCache(defaultCredentialProvider(process.env, chain)).get()), (e: unknown) => {
          assert.ok(e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_PROVIDER', String(e));
          const text = renderings(e);
          assert.ok(!text.includes(envSecret) && !text.includes(envToken), text);
          assert.match(e.message, /CredentialsProviderError: credential_process said \[REDACTED\]/);
          return true;
        });
      } finally {
        for (const [name, value] of [['AWS_SECRET_ACCESS_KEY', env.secret], ['AWS_SESSION_TOKEN', env.token]] as const) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    });
  });
});
