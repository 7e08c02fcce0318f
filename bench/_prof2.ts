import { signRequest } from '../src/sigv4.js';
import { CREDENTIALS, ORIGIN } from './lib/bodies.js';
const req = { method: 'GET', url: ORIGIN + '/_cluster/health?level=indices', headers: {}, body: undefined };
const opts = { region: 'us-east-1', service: 'es', credentials: CREDENTIALS };
let s: unknown;
const t = Date.now();
let n = 0;
while (Date.now() - t < 4000 && n < 2e6) { s = signRequest(req, opts); n++; }
console.log(n, (4000e3 / n).toFixed(2), 'us/op');
