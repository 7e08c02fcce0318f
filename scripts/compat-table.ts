/**
 * `npm run compat`: turns the measured compatibility matrix (.cache/compat/results.json,
 * written by test/integration/compat.test.ts) into the README table between
 * `<!-- compat-table:start -->` and `<!-- compat-table:end -->`. It only renders what was
 * measured: run the test first.
 *
 *   npx mocha --no-config -n import=tsx --timeout 300000 --exit test/integration/compat.test.ts && npm run compat
 *
 * Options: --results <file> (default .cache/compat/results.json), --readme <file> (default
 * README.md), --stdout (print the block instead of writing the README).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPAT_RESULTS_FILE, type CellResult as Cell, type CompatResults as Results, type StepResult } from './compat-results.js';

const REPO = join(__dirname, '..');
const START = '<!-- compat-table:start -->';
const END = '<!-- compat-table:end -->';

// Steps that don't depend on an earlier one: their errors are the cause, the others follow.
const INDEPENDENT = new Set(['info', 'ping', 'createIndex', 'indexDoc', 'bulk']);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Table cells are one line: no pipes or newlines from server messages. */
function cellText(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function errorKey(s: StepResult): string {
  return s.status !== undefined ? `${s.status}` : s.error!;
}

/** Failing steps grouped by error, each with the server's or client's message (one line). */
function groups(cell: Cell): Array<{ key: string; steps: string[]; message: string }> {
  const out = new Map<string, { key: string; steps: string[]; message: string }>();
  for (const s of cell.steps) {
    if (s.ok) continue;
    const key = errorKey(s);
    const group = out.get(key) ?? { key, steps: [], message: s.message ?? '' };
    group.steps.push(s.step);
    out.set(key, group);
  }
  return [...out.values()];
}

/** `createIndex, bulk: HTTP 406 Content-Type header [...] is not supported`, with this run's index names shortened. */
function describeGroup(g: { key: string; steps: string[]; message: string }, followsOn: boolean): string {
  const http = /^\d+$/.test(g.key);
  const message = g.message.replace(/compat-[a-z0-9-]+/g, 'compat-…').replace(new RegExp(`^${g.key} `), '');
  const what = http ? `HTTP ${g.key}` : g.key === 'UnexpectedResult' ? 'unexpected answer' : g.key;
  return `${g.steps.map((s) => `\`${s}\``).join(', ')}: ${what}: ${message}${followsOn ? ' (follows from the above)' : ''}`;
}

export function render(results: Results): string {
  const cells = results.cells;
  const columns: Array<{ server: string; service: string; title: string }> = [];
  const rows: Array<{ id: string; title: string }> = [];
  for (const c of cells) {
    if (!columns.some((x) => x.server === c.server && x.service === c.service)) {
      const flavor = c.serverFlavor === 'oss' ? ' (oss)' : '';
      columns.push({ server: c.server, service: c.service, title: `${c.serverLabel.replace(/ [\d.x]+$/, '')} ${c.serverVersion}${flavor}<br>\`${c.service}\`` });
    }
    if (!rows.some((r) => r.id === c.client)) {
      const kind = c.connection === 'Connection' ? '' : ` ${c.connection}`;
      rows.push({ id: c.client, title: `\`${c.clientPackage}\` ${c.clientVersion}${kind}${c.option ? `<br>+ \`${c.option}\`` : ''}` });
    }
  }

  const notes: string[] = [];
  const noteFor = (text: string): number => {
    const i = notes.indexOf(text);
    if (i >= 0) return i + 1;
    notes.push(text);
    return notes.length;
  };

  const lines: string[] = [];
  lines.push(`| client | ${columns.map((c) => c.title).join(' | ')} |`);
  lines.push(`| --- | ${columns.map(() => '---').join(' | ')} |`);
  for (const row of rows) {
    const out: string[] = [];
    for (const col of columns) {
      const cell = cells.find((c) => c.client === row.id && c.server === col.server && c.service === col.service);
      if (cell === undefined) {
        out.push('not measured');
        continue;
      }
      let text: string;
      if (cell.works) {
        text = '✅ works';
      } else {
        const g = groups(cell);
        const causes = g.filter((x) => x.steps.some((s) => INDEPENDENT.has(s)));
        const detail = g.map((x) => describeGroup(x, causes.length > 0 && !causes.includes(x))).join('; ');
        text = `❌ ${(causes.length > 0 ? causes : g).map((x) => x.key).join(' + ')} [${noteFor(detail)}]`;
      }
      if (cell.rejected > 0) text += ` ⚠️ ${cell.rejected} signature(s) rejected`;
      out.push(text);
    }
    lines.push(`| ${row.title} | ${out.join(' | ')} |`);
  }

  const requests = cells.reduce((n, c) => n + c.requests, 0);
  const accepted = cells.reduce((n, c) => n + c.accepted, 0);
  const header = [
    `Measured ${results.generatedAt.replace(/\.\d+Z$/, 'Z')} at commit ${results.commit ?? 'unknown'} (Node ${results.node}) by \`${results.command}\`; ` +
      `this table written by \`npm run compat\` from \`.cache/compat/results.json\`.` +
      (results.complete ? '' : ' **Partial run: some cells were not measured.**'),
    '',
    'Each cell runs one scenario through a stub that verifies every SigV4 signature (with `@smithy/signature-v4`) ' +
      'and forwards to the real server: info, ping (`HEAD /`), create an index, index a document with id `a/b c`, ' +
      'bulk, search with `q=+title:foo +tag:"x:y"`, `HEAD` document exists. ' +
      `Signatures: ${accepted} of ${requests} requests accepted in ${cells.length} cells` +
      (accepted === requests ? ' (none rejected): where a cell fails, the client refused the answer or the server refused the request, never the signature.' : '.'),
    '',
  ];
  const footer = ['', ...notes.map((n, i) => `${i + 1}. ${cellText(n)}`)];
  return [...header, ...lines, ...footer].join('\n');
}

function main(): void {
  const resultsFile = arg('--results') ?? COMPAT_RESULTS_FILE;
  const readmeFile = arg('--readme') ?? join(REPO, 'README.md');
  let results: Results;
  try {
    results = JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
  } catch (error) {
    process.stderr.write(`cannot read ${resultsFile} (${(error as Error).message}); measure first:\n` +
      '  npx mocha --no-config -n import=tsx --timeout 300000 --exit test/integration/compat.test.ts\n');
    process.exit(1);
  }
  if (!results.complete) process.stderr.write('warning: the results are from a partial run; missing cells show as "not measured"\n');
  const block = render(results);
  if (process.argv.includes('--stdout')) {
    process.stdout.write(`${block}\n`);
    return;
  }
  const readme = readFileSync(readmeFile, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    process.stderr.write(`${readmeFile} has no ${START} ... ${END} block\n`);
    process.exit(1);
  }
  writeFileSync(readmeFile, `${readme.slice(0, start + START.length)}\n${block}\n${readme.slice(end)}`);
  process.stdout.write(`wrote the compatibility table (${results.cells.length} cells) to ${readmeFile}\n`);
}

if (require.main === module) main();
