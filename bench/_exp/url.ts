import * as L from './sigv4-local.js';
import * as S from '../../src/sigv4.js';
import { ORIGIN } from '../lib/bodies.js';
import { interleave, median, formatNs } from '../lib/timing.js';
const cons = ORIGIN + '/_cluster/health?level=indices';
const flat = Buffer.from(cons).toString();
let last: { prefix: string; scheme: string; host: string } | undefined = { prefix: ORIGIN, scheme: 'https', host: 'h' };
function mini(url: string) {
  const o = last!;
  let authorityEnd = 0;
  if (url.startsWith(o.prefix)) authorityEnd = o.prefix.length;
  const fragmentAt = url.indexOf('#', authorityEnd);
  const rest = fragmentAt === -1 ? url.slice(authorityEnd) : url.slice(authorityEnd, fragmentAt);
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rest.slice(queryAt + 1);
  return { scheme: o.scheme, host: o.host, path, query };
}
(async () => {
  const { series } = await interleave([
    { id: 'local cons', op: () => L.parseWireUrl(cons), async: false },
    { id: 'local flat', op: () => L.parseWireUrl(flat), async: false },
    { id: 'src flat', op: () => S.parseWireUrl(flat), async: false },
    { id: 'mini', op: () => mini(flat), async: false },
    { id: 'startsWith', op: () => flat.startsWith(ORIGIN), async: false },
    { id: 'slices', op: () => { const a = flat.indexOf('#', 60); const r = flat.slice(60); const q = r.indexOf('?'); return [r.slice(0, q), r.slice(q + 1), a]; }, async: false },
  ], { rounds: 30, batchMs: 3, warmupMs: 200, maxBatch: 1e7 });
  for (const [id, s] of series) console.log(id.padEnd(18), formatNs(median(s)));
})();
