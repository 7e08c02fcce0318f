/** Which requests the signing proxy sends again after a stale kept-alive socket (src/proxy/resend-policy.ts), and how long it keeps an idle one (src/proxy/upstream-pool.ts). */
import assert from 'node:assert/strict';
import { mayResend } from '../../src/proxy/resend-policy.js';
import { idleTimeoutOf } from '../../src/proxy/upstream-pool.js';

describe('proxy resend policy', () => {
  const cases: Array<[boolean, string, string, Record<string, string>?]> = [
    // Idempotent methods (RFC 9110 9.2.2).
    [true, 'GET', '/'], [true, 'HEAD', '/logs'], [true, 'OPTIONS', '/'], [true, 'TRACE', '/'],
    [true, 'PUT', '/logs/_doc/1'], [true, 'DELETE', '/logs/_doc/1'], [true, 'GET', '/bulk-logs/_search'],
    // POSTs to read-only APIs, with or without a target, query or trailing slash, percent-encoded.
    [true, 'POST', '/_search'], [true, 'POST', '/logs-*,-logs-old/_search?scroll=1m'], [true, 'POST', '/_all/_count'],
    [true, 'POST', '/logs/_msearch/template'], [true, 'POST', '/_mget/'], [true, 'POST', '/logs/_explain/7'],
    [true, 'POST', '/logs/_validate/query?explain=true'], [true, 'POST', '/logs/_field_caps'], [true, 'POST', '/logs/%5Fsearch'],
    // Writes, and what only looks like a read.
    [false, 'POST', '/_bulk'], [false, 'POST', '/logs/_bulk'], [false, 'PUT', '/_bulk'], [false, 'PUT', '/logs/_bulk/stream'],
    [false, 'POST', '/_monitoring/bulk'], [false, 'POST', '/logs/_doc'], [false, 'POST', '/logs/_doc/_search'],
    [false, 'POST', '/logs/_update/1'], [false, 'POST', '/logs/_delete_by_query'], [false, 'PATCH', '/logs'],
    // The path as the target gets it, the proxy's prefix included: `/logs/_doc` + `/_search` indexes a document.
    [false, 'POST', '/logs/_doc/_search?pretty'], [false, 'POST', '/gateway/logs/_search'],
    [false, 'POST', '/_search/point_in_time'], [false, 'POST', '/logs/_search//x'], [false, 'POST', '/logs/%E0%A4%A/_search'],
    // Cursors: a repeat skips a page, whatever the method.
    [false, 'POST', '/_search/scroll'], [false, 'GET', '/_search/scroll/abc'], [false, 'GET', '/_plugins/_sql'], [false, 'POST', '/_sql?format=json'],
    [false, 'POST', '/_plugins/_ppl'],
    // A client's Idempotency-Key: its word that the target deduplicates; an empty one is no key.
    [true, 'POST', '/orders', { 'idempotency-key': '"k1"' }], [false, 'POST', '/orders', { 'idempotency-key': ' ' }],
  ];
  for (const [expected, method, path, headers] of cases) {
    it(`${method} ${path}${headers ? ` ${JSON.stringify(headers)}` : ''}: ${expected ? 'resent' : 'not resent'}`, () => {
      assert.equal(mayResend(method, path, headers ?? {}), expected);
    });
  }
});

describe('proxy upstream idle timeout', () => {
  it('a Keep-Alive hint less a second, in any place or case of the header; none: the configured idle time', () => {
    assert.equal(idleTimeoutOf('timeout=5', 4000), 4000);
    assert.equal(idleTimeoutOf('timeout=5, max=1000', 4000), 4000);
    assert.equal(idleTimeoutOf('max=100, Timeout = 60', 4000), 59_000);
    assert.equal(idleTimeoutOf(undefined, 4000), 4000);
    assert.equal(idleTimeoutOf('max=100', 30_000), 30_000);
    assert.equal(idleTimeoutOf('xtimeout=60', 4000), 4000);
  });

  it('timeout=1 or 0 leaves no margin: not kept; a hint of hours (or past setTimeout\'s range) is held to 10 min; idle 0 keeps none whatever the hint', () => {
    assert.ok(idleTimeoutOf('timeout=1', 4000) <= 0);
    assert.ok(idleTimeoutOf('timeout=0', 4000) <= 0);
    assert.equal(idleTimeoutOf('timeout=86400', 4000), 600_000);
    assert.equal(idleTimeoutOf(`timeout=${'9'.repeat(40)}`, 4000), 600_000);
    assert.equal(idleTimeoutOf('timeout=60', 0), 0);
  });
});
