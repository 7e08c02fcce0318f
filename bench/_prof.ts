import { signRequest } from '../src/sigv4.js';
import { CREDENTIALS, ORIGIN } from './lib/bodies.js';
const aws4 = require('aws4');
const req = { method: 'GET', url: ORIGIN + '/_cluster/health?level=indices', headers: {}, body: undefined };
const opts = { region: 'us-east-1', service: 'es', credentials: CREDENTIALS };
let s: unknown;
for (let k = 0; k < 5; k++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < 20000; i++) s = signRequest(req, opts);
  const a = Number(process.hrtime.bigint() - t) / 20000;
  t = process.hrtime.bigint();
  for (let i = 0; i < 20000; i++) s = aws4.sign({ host: 'search-logs-7hq2v4x5c6b7n8m9.us-east-1.es.amazonaws.com', method: 'GET', path: '/_cluster/health?level=indices', service: 'es', region: 'us-east-1', headers: {} }, CREDENTIALS);
  const b = Number(process.hrtime.bigint() - t) / 20000;
  console.log('ours', a.toFixed(0), 'aws4', b.toFixed(0), (b/a).toFixed(2));
}
