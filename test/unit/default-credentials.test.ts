/** The default chain: the SDK's when installed; without it, the environment's keys, as its first link reads them. */
import assert from 'node:assert/strict';
import { defaultCredentialProvider, environmentIdentity } from '../../src/default-credentials.js';
import { ConfigurationError } from '../../src/errors.js';

const KEYS = { AWS_ACCESS_KEY_ID: 'AKIDDEFAULT000000001', AWS_SECRET_ACCESS_KEY: 'default/Chain+Secret0123456789abcdefghij' };
const missing = (): never => { throw new ConfigurationError('ERR_MISSING_PEER_DEPENDENCY', 'the default credential chain needs @aws-sdk/credential-providers'); };

describe('the default credential chain', () => {
  it('without the SDK, keys in the environment are the identity (token and expiration too)', async () => {
    const env = { ...KEYS, AWS_SESSION_TOKEN: 'token', AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z' };
    assert.deepEqual(await defaultCredentialProvider(env, missing)(), {
      accessKeyId: KEYS.AWS_ACCESS_KEY_ID, secretAccessKey: KEYS.AWS_SECRET_ACCESS_KEY, sessionToken: 'token', expiration: new Date('2030-01-01T00:00:00Z'),
    });
  });

  it('without the SDK and without keys, the missing peer is the error, each call (keys set later are taken)', async () => {
    const env: NodeJS.ProcessEnv = {};
    const provider = defaultCredentialProvider(env, missing);
    await assert.rejects(provider(), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_MISSING_PEER_DEPENDENCY');
    Object.assign(env, KEYS);
    assert.equal((await provider()).accessKeyId, KEYS.AWS_ACCESS_KEY_ID);
  });

  it('with the SDK, its chain decides, keys in the environment or not', async () => {
    const fromSdk = { accessKeyId: 'AKIDFROMTHESDK000001', secretAccessKey: 'from/The+Sdk0123456789abcdefghijklmnopqr' };
    assert.deepEqual(await defaultCredentialProvider(KEYS, () => async () => fromSdk)(), fromSdk);
  });

  it('a broken SDK (not a missing one) is not papered over by the environment', async () => {
    const broken = (): never => { throw new TypeError('the SDK failed to load'); };
    await assert.rejects(defaultCredentialProvider(KEYS, broken)(), /the SDK failed to load/);
  });

  it('reads only a pair: a key id without its secret is no identity', () => {
    assert.equal(environmentIdentity({ AWS_ACCESS_KEY_ID: 'AKID' }), undefined);
    assert.equal(environmentIdentity({}), undefined);
  });
});
