import { signRequest } from '../../src/sigv4.js';
import { createHash } from 'node:crypto';
import { bulkPost, CREDENTIALS, ORIGIN, REGION, SERVICE } from '../lib/bodies.js';
const req = bulkPost(1 << 20, 'buffer');
const r = { method: req.method, url: ORIGIN + req.path, headers: req.headers, body: req.body };
const o = { region: REGION, service: SERVICE, credentials: { ...CREDENTIALS } };
let s: unknown;
for (let k = 0; k < 6; k++) {
  let t = process.cpuUsage(); for (let i = 0; i < 500; i++) s = signRequest(r, o); const a = process.cpuUsage(t);
  t = process.cpuUsage(); for (let i = 0; i < 500; i++) s = createHash('sha256').update(req.body as Buffer).digest('hex'); const b = process.cpuUsage(t);
  console.log('ours', ((a.user + a.system) / 500).toFixed(1), 'floor', ((b.user + b.system) / 500).toFixed(1));
}
