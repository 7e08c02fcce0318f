import * as L from './sigv4-local.js';
import { smallGet, CREDENTIALS, ORIGIN, REGION, SERVICE } from '../lib/bodies.js';
import { interleave, median, formatNs } from '../lib/timing.js';
const req = smallGet();
const r = { method: req.method, url: ORIGIN + req.path, headers: req.headers, body: req.body };
const o = { region: REGION, service: SERVICE, credentials: { ...CREDENTIALS } };
const p = (L as any).prepare(r, o, true);
const ch = L.canonicalHeaders(p.toSign);
const cr = `${p.method}\n${L.canonicalUri(p.wire.path)}\n${L.canonicalQuery(p.wire.query)}\n${ch.canonical}\n${ch.signedHeaders}\n${p.payload}`;
const scope = L.credentialScope(p.day, REGION, SERVICE);
const sts = L.stringToSign(p.amzDate, scope, cr);
const key = L.signingKey(CREDENTIALS.secretAccessKey, p.day, REGION, SERVICE);
(async () => {
  const { series } = await interleave([
    { id: 'signRequest', op: () => L.signRequest(r, o), async: false },
    { id: 'compose-no-hmac', op: () => { const q = (L as any).prepare(r, o, true); const c = L.canonicalHeaders(q.toSign); const x = `${q.method}\n${L.canonicalUri(q.wire.path)}\n${L.canonicalQuery(q.wire.query)}\n${c.canonical}\n${c.signedHeaders}\n${q.payload}`; const sc = L.credentialScope(q.day, q.region, q.service); return L.stringToSign(q.amzDate, sc, x); }, async: false },
    { id: 'compose', op: () => { const q = (L as any).prepare(r, o, true); const c = L.canonicalHeaders(q.toSign); const x = `${q.method}\n${L.canonicalUri(q.wire.path)}\n${L.canonicalQuery(q.wire.query)}\n${c.canonical}\n${c.signedHeaders}\n${q.payload}`; const sc = L.credentialScope(q.day, q.region, q.service); const t = L.stringToSign(q.amzDate, sc, x); return L.signature(L.signingKey(q.credentials.secretAccessKey, q.day, q.region, q.service), t); }, async: false },
    { id: 'prepare', op: () => (L as any).prepare(r, o, true), async: false },
    { id: 'parseWireUrl', op: () => L.parseWireUrl(r.url), async: false },
    { id: 'toAmzDate', op: () => L.toAmzDate(new Date()), async: false },
    { id: 'assertCredentials', op: () => L.assertCredentials(o.credentials), async: false },
    { id: 'canonicalHeaders', op: () => L.canonicalHeaders(p.toSign), async: false },
    { id: 'canonicalUri', op: () => L.canonicalUri(p.wire.path), async: false },
    { id: 'canonicalQuery', op: () => L.canonicalQuery(p.wire.query), async: false },
    { id: 'build CR', op: () => `${p.method}\n${p.wire.path}\n${p.wire.query}\n${ch.canonical}\n${ch.signedHeaders}\n${p.payload}`, async: false },
    { id: 'stringToSign', op: () => L.stringToSign(p.amzDate, scope, cr), async: false },
    { id: 'STS fresh CR', op: () => L.stringToSign(p.amzDate, scope, `${p.method}\n${p.wire.path}\n${p.wire.query}\n${ch.canonical}\n${ch.signedHeaders}\n${p.payload}`), async: false },
    { id: 'hash flat CR', op: () => (require('node:crypto') as any).hash('sha256', cr, 'hex'), async: false },
    { id: 'signingKey', op: () => L.signingKey(CREDENTIALS.secretAccessKey, p.day, REGION, SERVICE), async: false },
    { id: 'signature', op: () => L.signature(key, sts), async: false },
  ], { rounds: 40, batchMs: 3, warmupMs: 200, maxBatch: 1e6 });
  for (const [id, s] of series) console.log(id.padEnd(18), formatNs(median(s)));
})();
