/**
 * The client's own Authorization (its `auth` option, user:password in the node URL, its
 * `headers`): the stock Connection sends it; ours never can, since the signature goes in that
 * header, and a request then goes as the IAM identity instead of the user it names. That used
 * to happen silently; now it is said once per Connection class, without the value.
 */
import assert from 'node:assert/strict';
import { FAMILIES } from './families.js';
import { LoopbackServer } from './loopback-server.js';
import type { AwsSigV4Options } from '../../../src/index.js';
import { TEST_CREDENTIALS } from '../../support/stack.js';

const SIGNING: AwsSigV4Options = { region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS };
const PASSWORD = 'basic-Password-8e1f0c';
const CODE = 'AWS_SIGV4_AUTHORIZATION_REPLACED';

describe('the client\'s own Authorization: the stock class sends it, ours says once that it does not', function () {
  this.timeout(20_000);
  let server: LoopbackServer;
  const warnings: Array<Error & { code?: string }> = [];
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === CODE) warnings.push(warning);
  };
  before(async () => {
    server = await LoopbackServer.start();
    process.on('warning', onWarning);
  });
  after(async () => {
    process.off('warning', onWarning);
    await server?.close();
  });
  beforeEach(() => {
    warnings.length = 0;
    server.seen.length = 0;
  });

  /** The Authorization the server saw for one GET, and the warnings emitted by then. */
  async function sent(family: (typeof FAMILIES)[number], Connection: Parameters<typeof family.client>[0], extra: Record<string, unknown>, node = server.url): Promise<string | undefined> {
    const client = family.client(Connection, node, extra);
    try {
      const outcome = await client.call({ method: 'GET', path: '/echo' });
      assert.equal(outcome.ok, true, outcome.ok ? '' : outcome.message);
    } finally {
      await client.close();
    }
    // process 'warning' is emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    const header = server.seen.at(-1)?.headers.authorization;
    return Array.isArray(header) ? header.join() : header;
  }

  for (const family of FAMILIES) {
    it(`${family.name}: auth option: stock sends Basic; ours signs, warns once per class, and the warning holds no credential`, async () => {
      const auth = { auth: { username: 'admin', password: PASSWORD } };
      assert.match(await sent(family, family.stock, auth) ?? '', /^Basic /);
      assert.equal(warnings.length, 0);

      const Ours = family.ours(SIGNING);
      assert.match(await sent(family, Ours, auth) ?? '', /^AWS4-HMAC-SHA256 Credential=/);
      assert.equal(warnings.length, 1, 'no warning for the dropped Authorization');
      const text = `${warnings[0]!.message}`;
      for (const form of [PASSWORD, Buffer.from(`admin:${PASSWORD}`).toString('base64')]) assert.ok(!text.includes(form), 'the warning quotes the credential');
      assert.match(text, /auth/);

      // The same class again: said already.
      assert.match(await sent(family, Ours, auth) ?? '', /^AWS4-HMAC-SHA256 /);
      assert.equal(warnings.length, 1);
    });

    it(`${family.name}: user:password in the node URL, or an Authorization in the client's headers, warns too; none given, no warning`, async () => {
      const withUserinfo = server.url.replace('://', `://admin:${PASSWORD}@`);
      assert.match(await sent(family, family.stock, {}, withUserinfo) ?? '', /^Basic /);
      assert.match(await sent(family, family.ours(SIGNING), {}, withUserinfo) ?? '', /^AWS4-HMAC-SHA256 /);
      assert.equal(warnings.length, 1);
      warnings.length = 0;
      assert.match(await sent(family, family.ours(SIGNING), { headers: { Authorization: `Bearer ${PASSWORD}` } }) ?? '', /^AWS4-HMAC-SHA256 /);
      assert.equal(warnings.length, 1);
      warnings.length = 0;
      assert.match(await sent(family, family.ours(SIGNING), {}) ?? '', /^AWS4-HMAC-SHA256 /);
      assert.equal(warnings.length, 0, 'a warning without any Authorization given');
    });
  }
});
