/**
 * What the client was given that ours never sends, said once per Connection class instead of
 * silently (found running the clients' own connection tests against ours):
 *   - its own Authorization (its `auth` option, user:password in the node URL, its `headers`):
 *     the stock Connection sends it; ours cannot, since the signature goes in that header, and
 *     a request then goes as the IAM identity instead of the user it names. Never quoted.
 *   - a Host header for another host (a tunnel set up the stock way): the signature covers
 *     Host, so ours sends the one it signs; the warning names configure({ host }).
 */
import assert from 'node:assert/strict';
import { FAMILIES, type Outcome } from './families.js';
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
  const seenWarnings: Array<Error & { code?: string }> = [];
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === CODE) warnings.push(warning);
    seenWarnings.push(warning);
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
    seenWarnings.length = 0;
    server.seen.length = 0;
  });

  /** One GET: how it ended, and the head the server saw (the warnings are emitted by then). */
  async function once(family: (typeof FAMILIES)[number], Connection: Parameters<typeof family.client>[0], extra: Record<string, unknown>, node = server.url) {
    const client = family.client(Connection, node, extra);
    server.seen.length = 0;
    let outcome: Outcome;
    try {
      outcome = await client.call({ method: 'GET', path: '/echo' });
    } finally {
      await client.close();
    }
    // process 'warning' is emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    return { outcome, headers: server.seen.at(-1)?.headers };
  }

  /** The Authorization the server saw for one GET that must succeed. */
  async function sent(family: (typeof FAMILIES)[number], Connection: Parameters<typeof family.client>[0], extra: Record<string, unknown>, node = server.url): Promise<string | undefined> {
    const { outcome, headers } = await once(family, Connection, extra, node);
    assert.equal(outcome.ok, true, outcome.ok ? '' : outcome.message);
    const header = headers?.authorization;
    return Array.isArray(header) ? header.join() : header;
  }

  /** The Host the server saw for one GET, or the error it ended with. */
  async function hostSent(family: (typeof FAMILIES)[number], Connection: Parameters<typeof family.client>[0], extra: Record<string, unknown>): Promise<unknown> {
    const { outcome, headers } = await once(family, Connection, extra);
    return outcome.ok ? headers?.host : `${outcome.name}: ${outcome.message}`;
  }

  for (const family of FAMILIES) {
    it(`${family.name}: a Host header for another host: stock sends it; ours sends the signed one and names configure({ host }) once; with that option, sent and no warning`, async () => {
      const hostWarnings = (): Array<Error & { code?: string }> => seenWarnings.filter((w) => w.code === 'AWS_SIGV4_HOST_REPLACED');
      const headers = { headers: { Host: 'search-logs.eu-west-1.es.amazonaws.com' } };
      // undici refuses a Host among the headers (InvalidArgumentError "duplicate host header"): ours signs and sends one.
      const stock = await hostSent(family, family.stock, headers);
      if (family.name.includes('Undici')) assert.match(String(stock), /host/i);
      else assert.equal(stock, 'search-logs.eu-west-1.es.amazonaws.com');
      const Ours = family.ours(SIGNING);
      assert.equal(await hostSent(family, Ours, headers), new URL(server.url).host);
      assert.equal(hostWarnings().length, 1, 'no warning for the replaced Host');
      assert.match(hostWarnings()[0]!.message, /configure\(\{ host \}\)/);
      await hostSent(family, Ours, headers);
      assert.equal(hostWarnings().length, 1);
      seenWarnings.length = 0;
      const Tunnelled = family.ours({ ...SIGNING, host: 'search-logs.eu-west-1.es.amazonaws.com' });
      assert.equal(await hostSent(family, Tunnelled, headers), 'search-logs.eu-west-1.es.amazonaws.com');
      assert.equal(await hostSent(family, family.ours(SIGNING), { headers: { host: new URL(server.url).host } }), new URL(server.url).host);
      assert.equal(hostWarnings().length, 0, 'a warning where the Host given is the one signed');
    });

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
