// The check over everything the test run prints (scripts/scan-printed.ts) must find a secret
// in each form it can print in, and nothing in text without one.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { printedForms, scanPrinted, testSecrets } from '../support/printed-secrets.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY';
const secrets = [{ value: SECRET, where: 'here:1' }];

describe('the printed-output secret scan', () => {
  it("finds the tests' secret literals, this file's among them", () => {
    const found = testSecrets(join(__dirname, '..', '..'), ['test', 'scripts']);
    assert.ok(found.some((s) => s.value === SECRET && /printed-secrets\.test\.ts:\d+$/.test(s.where)));
    assert.ok(found.length >= 40, `${found.length} literals`);
    assert.ok(found.every((s) => s.value.length >= 16));
  });

  it('finds the secret raw, JSON-, percent-, hex- and base64-encoded, inside longer text', () => {
    const embedded = [
      `message: ${SECRET}.`,
      JSON.stringify({ m: `a ${SECRET}` }).replace(/\//g, '\\/'),
      `url=https://x/?k=${encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (c) => c.toLowerCase())}&a=1`,
      `bytes <${Buffer.from(`x${SECRET}y`).toString('hex')}>`,
      `hex ${Buffer.from(SECRET).toString('hex').toUpperCase()}`,
    ];
    for (const text of embedded) assert.ok(scanPrinted(`line one\n${text}\n`, secrets).length > 0, text);
    // Inside a Basic header, at each of the three byte offsets base64 can put it.
    for (const prefix of ['AKID:', 'AKIDX:', 'AKIDXY:']) {
      for (const encoding of ['base64', 'base64url'] as const) {
        const header = `authorization: Basic ${Buffer.from(`${prefix}${SECRET}`).toString(encoding)}`;
        const hits = scanPrinted(`ok\n${header}\n`, secrets);
        assert.ok(hits.length > 0, header);
        assert.equal(hits[0]!.line, 2);
        assert.equal(hits[0]!.where, 'here:1');
      }
    }
  });

  it('finds nothing where the secret is not, redacted or cut', () => {
    assert.deepEqual(scanPrinted(`no secret here\nsecretAccessKey: [REDACTED]\n${SECRET.slice(0, 12)}…\n`, secrets), []);
    assert.ok([...printedForms(SECRET).keys()].every((form) => form.length >= 8));
  });
});
