import { signRequest } from '../../src/sigv4.js';
import { signRequest as signLocal } from './sigv4-local.js';
import { CONTENDERS } from '../lib/contenders.js';
import { smallGet, searchPost, bulkPost, CREDENTIALS, ORIGIN, REGION, SERVICE } from '../lib/bodies.js';
import { interleave, median, pairedRatios, formatNs, quantile } from '../lib/timing.js';
import { check, verifyWire } from '../lib/verify.js';
(async () => {
  const which = process.argv[2] ?? 'get';
  const req = which === 'get' ? smallGet() : which === 'search' ? searchPost() : bulkPost(Number(process.argv[3] ?? 1) << 20, (process.argv[4] ?? 'string') as 'string');
  const r = { method: req.method, url: ORIGIN + req.path, headers: req.headers, body: req.body };
  const o = { region: REGION, service: SERVICE, credentials: { ...CREDENTIALS } };
  const d = new Date();
  const a = signRequest(r, { ...o, signingDate: d }), b = signLocal(r, { ...o, signingDate: d });
  if (a.headers.authorization !== b.headers.authorization || a.canonicalRequest !== b.canonicalRequest) throw new Error('local differs');
  console.log('verify local:', (await verifyWire({ method: req.method, target: req.path, headers: signLocal(r, o).headers, body: req.body })).detail);
  const ids = (process.argv[5] ?? 'aws4,opensearch-aws,sha256-slices,sha256-buffer').split(',');
  const timed = [
    { id: 'ours', op: () => signRequest(r, o), async: false },
    { id: 'local', op: () => signLocal(r, o), async: false },
    ...CONTENDERS.filter((c) => ids.includes(c.id) && c.applies(req)).map((c) => ({ id: c.id, op: c.prepare(req).op, async: false })),
  ];
  const rounds = Number(process.env.ROUNDS ?? 60), batchMs = Number(process.env.BATCH ?? 5);
  const { series } = await interleave(timed, { rounds, batchMs, warmupMs: 300, maxBatch: 100000 });
  const base = series.get('ours')!, loc = series.get('local')!;
  for (const [id, s] of series) {
    const ro = pairedRatios(s, base), rl = pairedRatios(s, loc);
    console.log(id.padEnd(16), formatNs(median(s)).padStart(10), 'vs ours', median(ro).toFixed(3), `[${quantile(ro,0.25).toFixed(2)}-${quantile(ro,0.75).toFixed(2)}]`, 'vs local', median(rl).toFixed(3), `[${quantile(rl,0.25).toFixed(2)}-${quantile(rl,0.75).toFixed(2)}]`);
  }
})();
