import * as c from 'node:crypto';
import { interleave, median, formatNs } from '../lib/timing.js';
const cr = 'GET\n/_cluster/health\nlevel=indices\nhost:search-logs.us-east-1.es.amazonaws.com\nx-amz-date:20240501T120000Z\nx-amz-security-token:' + 'x'.repeat(850) + '\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const sts = 'AWS4-HMAC-SHA256\n20240501T120000Z\n20240501/us-east-1/es/aws4_request\n' + 'a'.repeat(64);
const key = c.createHash('sha256').update('k').digest();
const ipad = Buffer.alloc(64, 0x36), opad = Buffer.alloc(64, 0x5c);
for (let i = 0; i < 32; i++) { ipad[i] ^= key[i]!; opad[i] ^= key[i]!; }
const h = (c as any).hash as (a: string, d: string | Buffer, e: string) => any;
const scratch = Buffer.allocUnsafe(64 + 4096); ipad.copy(scratch, 0);
const outer = Buffer.allocUnsafe(96); opad.copy(outer, 0);
function hmacManual(m: string) {
  const n = scratch.write(m, 64, 'latin1');
  const inner: Buffer = h('sha256', scratch.subarray(0, 64 + n), 'buffer');
  inner.copy(outer, 64);
  return h('sha256', outer, 'hex');
}
const ib = c.createHash('sha256').update(ipad), ob = c.createHash('sha256').update(opad);
const hmacCopy = (m: string) => ob.copy().update(ib.copy().update(m, 'latin1').digest()).digest('hex');
const ref = c.createHmac('sha256', key).update(sts).digest('hex');
if (hmacManual(sts) !== ref || hmacCopy(sts) !== ref) throw new Error('mismatch');
(async () => {
  const { series } = await interleave([
    { id: 'createHash(cr)', op: () => c.createHash('sha256').update(cr, 'utf8').digest('hex'), async: false },
    { id: 'hash(cr)', op: () => h('sha256', cr, 'hex'), async: false },
    { id: 'hash(empty)', op: () => h('sha256', '', 'hex'), async: false },
    { id: 'createHmac(sts)', op: () => c.createHmac('sha256', key).update(sts, 'utf8').digest('hex'), async: false },
    { id: 'hmacManual', op: () => hmacManual(sts), async: false },
    { id: 'hmacCopy', op: () => hmacCopy(sts), async: false },
    { id: 'toISOString', op: () => new Date().toISOString(), async: false },
    { id: 'trimall-regex', op: () => /[\t\n\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]| {2}|^ | $/.test(cr), async: false },
  ], { rounds: 40, batchMs: 5, warmupMs: 200, maxBatch: 1e6 });
  for (const [id, s] of series) console.log(id.padEnd(18), formatNs(median(s)));
})();
