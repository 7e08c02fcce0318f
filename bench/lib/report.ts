/** The results as markdown, and the targets judged from the same run. */
import { readFileSync, writeFileSync } from 'node:fs';
import { bodyLabel } from './bodies.js';
import type { CredentialsResult } from './credentials-bench.js';
import type { E2eResult } from './e2e.js';
import type { MachineInfo } from './machine.js';
import type { MemoryRow } from './memory.js';
import type { ScenarioResult } from './micro.js';
import type { SizeBreakdown, SizeRow } from './size.js';
import { formatNs } from './timing.js';

export interface Results {
  command: string;
  quick: boolean;
  startedAt: Date;
  seconds: number;
  machine: MachineInfo;
  loadAtEnd: string;
  versions: Array<[string, string]>;
  micro: ScenarioResult[];
  memory?: MemoryRow[];
  memoryBytes?: number;
  e2e?: E2eResult;
  e2eSkipped?: string;
  credentials?: CredentialsResult;
  size?: SizeRow[];
  sizeBreakdown?: SizeBreakdown;
  errors: string[];
}

export interface Target {
  name: string;
  figure: string;
  goal: string;
  verdict: 'PASS' | 'MISS' | 'n/a';
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const times = (x: number): string => `${x.toFixed(2)}×`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

/** The targets; with `reference: 'candidate'`, the micro-benchmark ones re-judged for BENCH_SIGV4_CANDIDATE in ours' place. */
export function targets(r: Results, reference: 'ours' | 'candidate' = 'ours'): Target[] {
  const out: Target[] = [];
  const row = (micro: ScenarioResult[], scenario: string, id: string) => {
    const found = micro.find((s) => s.id === scenario)?.rows.find((x) => x.id === id);
    if (found === undefined || reference === 'ours') return found;
    return found.vsCandidate === undefined ? undefined : { ...found, vsOurs: found.vsCandidate };
  };
  const judge = (label: string, value: number | undefined, goal: string, ok: (v: number) => boolean, show: (v: number) => string): void => {
    const name = reference === 'ours' ? label : label.replace(/\bours\b/, 'candidate');
    if (value === undefined || !Number.isFinite(value)) out.push({ name, figure: 'not measured', goal, verdict: 'n/a' });
    else out.push({ name, figure: show(value), goal, verdict: ok(value) ? 'PASS' : 'MISS' });
  };
  for (const [id, label] of [['aws4', 'aws4'], ['opensearch-aws', 'the OpenSearch built-in signer']] as const) {
    judge(`small GET: ours vs ${label}`, row(r.micro, 'get-health', id)?.vsOurs, '≥ 4× faster', (v) => v >= 4, (v) => `${times(v)} faster`);
  }
  for (const size of ['1MiB', '16MiB']) {
    judge(`bulk ${size} string: ours vs sha256(string, 64 Ki slices)`, row(r.micro, `bulk-${size}-string`, 'sha256-slices')?.vsOurs,
      '≥ 90% of its throughput', (v) => v >= 0.9, pct);
  }
  for (const size of ['1MiB', '16MiB']) {
    judge(`bulk ${size} Buffer: ours vs sha256(Buffer)`, row(r.micro, `bulk-${size}-buffer`, 'sha256-buffer')?.vsOurs,
      '≥ 98% of its throughput', (v) => v >= 0.98, pct);
  }
  const mem = (kind: string) => r.memory?.find((m) => m.id === reference && m.kind === kind && m.error === undefined)?.added;
  judge(`peak RSS added, ${bodyLabel(r.memoryBytes ?? 16 << 20)} Buffer body`, mem('buffer'), '< 1 MiB', (v) => v < 1 << 20, kib);
  judge(`peak RSS added, ${bodyLabel(r.memoryBytes ?? 16 << 20)} string body`, mem('string'), '< 2 MiB', (v) => v < 2 << 20, kib);
  for (const [scenario, label] of [['get-health', 'small GET'], ['search-1KiB', '1 KiB search']] as const) {
    const web = row(r.micro, scenario, 'ours-web')?.vsOurs;
    const other = row(r.micro, scenario, 'aws4fetch')?.vsOurs;
    judge(`${label}: ours over WebCrypto vs aws4fetch`, web === undefined || other === undefined ? undefined : other / web,
      '> 1× (the fastest WebCrypto signer)', (v) => v > 1, (v) => `${times(v)} faster`);
  }
  if (reference === 'candidate') return out;
  judge('end to end: signed bulk throughput vs unsigned', r.e2e?.pairedRatio, '≥ 97%', (v) => v >= 0.97, pct);
  const cache = r.credentials?.rows.find((c) => c.id === 'cache-provider')?.nsPerOp;
  judge('cached credentials, per request', cache, '< 1 µs', (v) => v < 1000, formatNs);
  const gz = (id: string) => r.size?.find((x) => x.id === id)?.gzipBytes;
  const [oursGz, aws4fetchGz] = [gz('ours'), gz('aws4fetch')];
  judge('web bundle, gzipped: ours vs aws4fetch', oursGz === undefined || aws4fetchGz === undefined ? undefined : oursGz / aws4fetchGz,
    '< 100% of its size', (v) => v < 1, (v) => `${oursGz} B vs ${aws4fetchGz} B (${pct(v)})`);
  return out;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((h) => (/^(contender|mode|target|scenario|what|concern)/i.test(h) ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function renderMarkdown(r: Results): string {
  const parts: string[] = [];
  parts.push(`# Benchmarks${r.quick ? ' (quick smoke run: figures are not measurements)' : ''}`);
  parts.push([
    `Produced by \`${r.command}\` on ${r.startedAt.toISOString()} in ${r.seconds.toFixed(0)} s.`,
    '',
    `- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGiB} GiB, ${r.machine.os}`,
    `- Runtime: Node ${r.machine.node} (V8 ${r.machine.v8}, OpenSSL ${r.machine.openssl})`,
    `- Load average (1/5/15 min) at start: ${r.machine.loadAvg}; at end: ${r.loadAtEnd}`,
    `- Packages: ${r.versions.map(([n, v]) => `${n} ${v}`).join('; ')}`,
  ].join('\n'));

  // A quick run's figures come from a round or two of a few ops: judging them would be noise.
  const t = targets(r);
  const verdict = (x: Target) => (r.quick ? 'not judged (quick)' : `**${x.verdict}**`);
  parts.push('## Targets\n\n' + table(['target', 'figure', 'goal', 'result'], t.map((x) => [x.name, x.figure, x.goal, verdict(x)])));
  if (r.micro.some((s) => s.rows.some((x) => x.id === 'candidate'))) {
    const c = targets(r, 'candidate');
    parts.push(`### The same targets for the candidate (BENCH_SIGV4_CANDIDATE=${process.env.BENCH_SIGV4_CANDIDATE ?? ''})\n\n` +
      table(['target', 'figure', 'goal', 'result'], c.map((x) => [x.name, x.figure, x.goal, verdict(x)])));
  }

  if (r.micro.length > 0) {
    const scenarios = r.micro;
    const ids: string[] = [];
    for (const s of scenarios) for (const x of s.rows) if (!ids.includes(x.id)) ids.push(x.id);
    const label = (id: string) => scenarios.flatMap((s) => s.rows).find((x) => x.id === id)!.label;
    parts.push([
      '## Signing cost per request: side by side',
      '',
      'Each cell: the contender\'s time per request divided by ours, the median over rounds of the per-round ratio (contenders run interleaved, round-robin, order rotated each round). ' +
        'Above 1: ours is that many times faster. For the floors (hashing alone), the cell is ours\' throughput as a share of the floor\'s.',
      '',
      table(['contender', ...scenarios.map((s) => s.id)], ids.map((id) => [
        label(id),
        ...scenarios.map((s) => {
          const x = s.rows.find((y) => y.id === id);
          if (x === undefined) return s.failures.some((f) => f.id === id) ? 'FAILED' : '—';
          return x.kind === 'floor' ? pct(x.vsOurs) : times(x.vsOurs);
        }),
      ])),
    ].join('\n'));

    for (const s of scenarios) {
      const body = s.bytes > 0 ? `, body ${s.bytes} bytes (${bodyLabel(s.bytes)})` : '';
      const lines = [`### ${s.title}`, '', `${s.rounds} rounds${body}.`, ''];
      lines.push(table(
        ['contender', 'median per request', ...(s.bytes > 0 ? ['MiB/s'] : []), 'time ÷ ours (IQR)', 'ops per batch'],
        s.rows.map((x) => [
          x.label,
          formatNs(x.nsPerOp),
          ...(s.bytes > 0 ? [x.mibPerS!.toFixed(0)] : []),
          `${x.vsOurs.toFixed(3)} (${x.vsOursQ1.toFixed(2)}–${x.vsOursQ3.toFixed(2)})`,
          String(x.batch),
        ]),
      ));
      for (const f of s.failures) lines.push('', `**VERIFICATION FAILED** ${f.label}: ${f.detail} (not timed)`);
      parts.push(lines.join('\n'));
    }
  }

  if (r.size !== undefined) parts.push(renderSize(r.size, r.sizeBreakdown));

  if (r.memory !== undefined) {
    const ids: string[] = [];
    for (const m of r.memory) if (!ids.includes(m.id)) ids.push(m.id);
    const cell = (id: string, kind: string) => {
      const m = r.memory!.find((x) => x.id === id && x.kind === kind);
      if (m === undefined) return '—';
      if (m.error !== undefined) return `error: ${m.error.slice(0, 80)}`;
      return `${kib(m.added)} (${m.samples.map((s) => (s / 1024).toFixed(0)).join(', ')})`;
    };
    parts.push([
      `## Memory: peak RSS added by signing one ${bodyLabel(r.memoryBytes ?? 0)} body`,
      '',
      'A fresh child process per figure (`node --expose-gc`): warmed up on a 64 KiB body, the big body built, two full GCs, the peak reset, one signing, the peak read. ' +
        `Median of the repeats, each repeat in brackets. Peak measured by ${r.memory.find((m) => m.method)?.method ?? 'n/a'}.`,
      '',
      table(['contender', 'Buffer body', 'string body'], ids.map((id) => [r.memory!.find((m) => m.id === id)!.label, cell(id, 'buffer'), cell(id, 'string')])),
    ].join('\n'));
  }

  if (r.e2e !== undefined) {
    const e = r.e2e;
    const rounds = [...new Set(e.runs.map((x) => x.round))];
    const unsignedRuns = e.runs.filter((x) => x.mode === 'unsigned').map((x) => x.docsPerS);
    const cell = (mode: string, round: number) => {
      const run = e.runs.find((x) => x.mode === mode && x.round === round);
      return run ? `${run.docsPerS.toFixed(0)} (${(run.ms / 1000).toFixed(2)} s, CPU ${(run.clientCpuMs / 1000).toFixed(2)} s)` : '—';
    };
    parts.push([
      '## End to end: bulk indexing through the OpenSearch client',
      '',
      `${e.options.docs} documents per run (${e.bulkMiB.toFixed(1)} MiB of NDJSON), ${e.options.perBatch} per \`_bulk\` request, ${e.options.concurrency} requests in flight, ` +
        `into OpenSearch at ${e.options.serverUrl} (1 shard, no replica, refresh off). Signed: AwsSigV4Connection -> verifying stub -> OpenSearch; ` +
        'unsigned: the client\'s own Connection -> the stub in passThrough mode -> OpenSearch; signed, unverified: AwsSigV4Connection -> the passThrough stub -> OpenSearch ' +
        '(our signing without the stub\'s verification, which AWS does on its own machines). The modes take turns, the first of each round rotating, after an untimed warm-up of each. ' +
        `The stubs run in a process of their own; the verifying one accepted ${e.stubAccepted} signed requests and rejected ${e.stubRejected}.`,
      '',
      table(['mode', ...rounds.map((x) => `round ${x}: docs/s (wall, client CPU)`), 'median docs/s', 'median client CPU'], [
        ['signed', ...rounds.map((x) => cell('signed', x)), e.signedMedian.toFixed(0), `${(e.signedCpuMs / 1000).toFixed(2)} s`],
        ['unsigned', ...rounds.map((x) => cell('unsigned', x)), e.unsignedMedian.toFixed(0), `${(e.unsignedCpuMs / 1000).toFixed(2)} s`],
        ['signed, unverified', ...rounds.map((x) => cell('signed-unverified', x)), e.unverifiedMedian.toFixed(0), `${(e.unverifiedCpuMs / 1000).toFixed(2)} s`],
      ]),
      '',
      `Signed / unsigned throughput: ${pct(e.pairedRatio)} (median of per-round ratios); ratio of medians ${pct(e.signedMedian / e.unsignedMedian)}. ` +
        `Signed but unverified / unsigned: ${pct(e.unverifiedRatio)} (ratio of medians ${pct(e.unverifiedMedian / e.unsignedMedian)}): the difference between the two is the stub's verification. ` +
        `The unsigned runs alone range from ${Math.min(...unsignedRuns).toFixed(0)} to ${Math.max(...unsignedRuns).toFixed(0)} docs/s ` +
        `(${pct((Math.max(...unsignedRuns) - Math.min(...unsignedRuns)) / e.unsignedMedian)} of their median): the noise any wall-clock ratio here carries. ` +
        `Client CPU added by signing: ${((e.signedCpuMs - e.unsignedCpuMs) / 1000).toFixed(2)} s per ${e.options.docs} documents ` +
        `(${(((e.signedCpuMs - e.unsignedCpuMs) / e.runs.filter((x) => x.mode === 'signed')[0]!.requests) || 0).toFixed(2)} ms per bulk request), ` +
        `${pct((e.signedCpuMs - e.unsignedCpuMs) / (e.options.docs / e.signedMedian * 1000))} of a signed run's median wall time, ` +
        'the share of the run the client\'s event loop spends on signing (the stub\'s verification adds its own latency on top). Wall-clock throughput moves by more than that from run to run here ' +
        '(OpenSearch, its JIT and the other processes of a shared 2-core machine), which the alternating order and the pairing per round only partly cancel; the CPU figures do not move with them.',
    ].join('\n'));
  } else if (r.e2eSkipped !== undefined) {
    parts.push(`## End to end\n\nSkipped: ${r.e2eSkipped}`);
  }

  if (r.credentials !== undefined) {
    parts.push('## Credentials: the cache hit path\n\n' + table(['what', 'median per call'], r.credentials.rows.map((c) => [c.label, formatNs(c.nsPerOp)])));
  }

  if (r.errors.length > 0) parts.push('## Errors\n\n' + r.errors.map((e) => `- ${e}`).join('\n'));
  return parts.join('\n\n') + '\n';
}

const README_START = '<!-- bench:start -->';
const README_END = '<!-- bench:end -->';

/** The README's performance section: the run's header, its targets and the side-by-side table; the rest stays in bench/results.md. */
export function updateReadme(markdown: string, readme: string): string {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start === -1 || end < start) return `${readme} has no ${README_START} block: not updated`;
  const head = markdown.slice(markdown.indexOf('\n') + 1, markdown.indexOf('## Targets')).trim();
  const tables = markdown.slice(markdown.indexOf('## Targets'), markdown.indexOf('\n### ')).trim().replace(/^## /gm, '### ');
  const block = `${README_START}\n${head}\n\n${tables}\n\nPer-scenario figures, memory and the end-to-end runs: [bench/results.md](bench/results.md).\n${README_END}`;
  writeFileSync(readme, text.slice(0, start) + block + text.slice(end + README_END.length));
  return `${readme}: performance section updated`;
}


function renderSize(rows: SizeRow[], breakdown: SizeBreakdown | undefined): string {
  const bytes = (n: number | undefined) => (n === undefined ? '—' : `${n.toLocaleString('en-US')} B`);
  const parts = [
    '## Bundle size: what a web signer adds to a Worker or browser bundle',
    '',
    'The import below bundled by esbuild (ESM, platform browser, minified, dependencies included, unused exports dropped), then gzip -9 (zlib). A Node built-in in the graph fails the bundle.',
    '',
    table(['contender', 'import', 'minified', 'gzipped'], rows.map((x) => [
      x.label, `\`${x.source.replace(/;? export .*$/, '')}\``, x.error ?? bytes(x.minifiedBytes), x.error === undefined ? bytes(x.gzipBytes) : '—',
    ])),
  ];
  if (breakdown !== undefined) {
    const share = (n: number) => pct(n / breakdown.minifiedBytes);
    parts.push('', '### Where ours goes', '',
      `The createSignedFetch bundle built from src/ with a metafile (${bytes(breakdown.minifiedBytes)} minified, ${bytes(breakdown.gzipBytes)} gzipped), its minified bytes by concern. ` +
        `Message text (string literals that read as prose: the typed errors' messages and the refusal hints) is ${bytes(breakdown.messageBytes)} of it (${share(breakdown.messageBytes)}); ` +
        `with all of it emptied (not shipped, an analysis only) the bundle would be ${bytes(breakdown.gzipWithoutMessages)} gzipped.`,
      '',
      table(['concern', 'modules', 'minified', 'share'], breakdown.rows.map((x) => [x.concern, x.modules.join(', '), bytes(x.minifiedBytes), share(x.minifiedBytes)])));
  }
  return parts.join('\n');
}
