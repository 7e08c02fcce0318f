import { signRequest } from '../../src/sigv4.js';
import { bulkPost, CREDENTIALS, ORIGIN, REGION, SERVICE } from '../lib/bodies.js';
const req = bulkPost(1 << 20, 'buffer');
const r = { method: req.method, url: ORIGIN + req.path, headers: req.headers, body: req.body };
const o = { region: REGION, service: SERVICE, credentials: { ...CREDENTIALS } };
let s: unknown;
for (let i = 0; i < 6000; i++) s = signRequest(r, o);
console.log(typeof s);
