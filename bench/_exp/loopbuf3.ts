import { signRequest, payloadHash } from '../../src/sigv4.js';
import { createHash } from 'node:crypto';
import { bulkPost, CREDENTIALS, ORIGIN, REGION, SERVICE } from '../lib/bodies.js';
import { interleave, median, formatNs } from '../lib/timing.js';
const req = bulkPost(1 << 20, 'buffer');
const body = req.body as Buffer;
const r = { method: req.method, url: ORIGIN + req.path, headers: req.headers, body };
const o = { region: REGION, service: SERVICE, credentials: { ...CREDENTIALS } };
const ph = payloadHash(body);
const o2 = { ...o, payloadHash: ph };
(async () => {
  const { series } = await interleave([
    { id: 'floor', op: () => createHash('sha256').update(body).digest('hex'), async: false },
    { id: 'payloadHash()', op: () => payloadHash(body), async: false },
    { id: 'sign', op: () => signRequest(r, o), async: false },
    { id: 'sign(prehashed)', op: () => signRequest(r, o2), async: false },
    { id: 'floor+prehashed', op: () => { createHash('sha256').update(body).digest('hex'); return signRequest(r, o2); }, async: false },
  ], { rounds: 30, batchMs: 10, warmupMs: 200, maxBatch: 1e6 });
  for (const [id, s] of series) console.log(id.padEnd(18), formatNs(median(s)));
})();
