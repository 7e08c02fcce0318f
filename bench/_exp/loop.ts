import { signRequest } from './sigv4-local.js';
import { smallGet, CREDENTIALS, ORIGIN, REGION, SERVICE } from '../lib/bodies.js';
const req = smallGet();
const r = { method: req.method, url: ORIGIN + req.path, headers: req.headers, body: req.body };
const o = { region: REGION, service: SERVICE, credentials: { ...CREDENTIALS } };
let s: unknown; let n = 0; const t = Date.now();
while (Date.now() - t < Number(process.env.MS ?? 5000) && n < 5e6) { s = signRequest(r, o); n++; }
console.log(n, ((Date.now() - t) * 1e3 / n).toFixed(2), 'us/op', typeof s);
