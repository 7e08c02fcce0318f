import * as c from 'node:crypto';
import { interleave, median, formatNs } from '../lib/timing.js';
const tok = 'x'.repeat(850) + String(Math.random()).slice(0, 2);
const h = (c as any).hash;
const mk = () => { let s = ''; for (const [n, v] of [['host', 'search-logs.us-east-1.es.amazonaws.com'], ['x-amz-date', '20240501T120000Z'], ['x-amz-security-token', tok]]) s += n + ':' + v + '\n'; return `GET\n/_cluster/health\nlevel=indices\n${s}\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`; };
const flat = mk(); h('sha256', flat, 'hex');
(async () => {
  const { series } = await interleave([
    { id: 'mk only', op: mk, async: false },
    { id: 'hash(mk())', op: () => h('sha256', mk(), 'hex'), async: false },
    { id: 'hash(flat)', op: () => h('sha256', flat, 'hex'), async: false },
    { id: 'hash(Buffer.from(mk()))', op: () => h('sha256', Buffer.from(mk(), 'latin1'), 'hex'), async: false },
    { id: 'createHash 3 updates', op: () => c.createHash('sha256').update('GET\n/_cluster/health\nlevel=indices\nhost:search-logs.us-east-1.es.amazonaws.com\nx-amz-date:20240501T120000Z\nx-amz-security-token:').update(tok).update('\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855').digest('hex'), async: false },
  ], { rounds: 40, batchMs: 3, warmupMs: 200, maxBatch: 1e6 });
  for (const [id, s] of series) console.log(id.padEnd(26), formatNs(median(s)));
})();
