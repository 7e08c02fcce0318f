// The Node versions that `engines` promises, each proven on a real binary: the unit and
// conformance tiers and the packed-package test run under Node 18, 20, 22 and 24.
//
//   npm run test:node-matrix                    # 18, 20, 22, 24
//   npm run test:node-matrix -- 22 24           # some of them
//   npm run test:node-matrix -- --except-current  # not the running Node's major (npm test ran it)
//
// A binary comes from the npm registry's `node-<platform>-<arch>` package (the running Node
// serves its own major), unpacked under .cache/node/<major>/ and kept across runs. The
// package is packed once; one OpenSearch serves every version (OPENSEARCH_URL if set, else
// one started here and stopped at the end). Prints one line per version and a summary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { startServer, stopInstance, type Instance } from './servers-lib.js';

const REPO = resolve(__dirname, '..');
const CACHE = join(REPO, '.cache', 'node');
const TIERS = ['test/unit', 'test/conformance', 'test/package/packed.test.ts'];

function sh(cmd: string, args: string[], cwd = REPO, env: NodeJS.ProcessEnv = process.env): string {
  const out = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${out.status}`);
  return out.stdout;
}

/** The node binary for a major: the running one, or the registry's package, cached. */
function nodeBinary(major: number): string {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const bin = join(CACHE, String(major), 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  const name = `node-${process.platform}-${process.arch}@${major}`;
  const work = mkdtempSync(join(tmpdir(), 'node-matrix-'));
  try {
    console.log(`node-matrix: fetching ${name}`);
    const [packed] = JSON.parse(sh('npm', ['pack', name, '--json', '--pack-destination', work], work)) as Array<{ filename: string }>;
    sh('tar', ['-xzf', join(work, packed!.filename), '-C', work]);
    mkdirSync(join(CACHE, String(major)), { recursive: true });
    renameSync(join(work, 'package'), join(CACHE, String(major), 'package'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const current = Number(process.versions.node.split('.')[0]);
  let majors = args.filter((a) => /^\d+$/.test(a)).map(Number);
  if (majors.length === 0) majors = [18, 20, 22, 24];
  if (args.includes('--except-current')) majors = majors.filter((m) => m !== current);
  if (majors.length === 0) return 0;

  const work = mkdtempSync(join(tmpdir(), 'node-matrix-pack-'));
  let server: Instance | undefined;
  const results: Array<{ major: number; version: string; ok: boolean; seconds: number }> = [];
  try {
    if (!existsSync(join(REPO, 'dist', 'cjs', 'index.js'))) sh('npm', ['run', 'build']);
    const [packed] = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work])) as Array<{ filename: string }>;
    const tarball = join(work, packed!.filename);
    let opensearch = process.env.OPENSEARCH_URL;
    if (!opensearch) {
      server = await startServer('opensearch@3', { owner: 'cli', log: (m) => console.log(`node-matrix: ${m}`) });
      opensearch = server.url;
    }
    for (const major of majors) {
      const node = nodeBinary(major);
      const version = sh(node, ['--version']).trim();
      const started = Date.now();
      // PATH first: the bin's `#!/usr/bin/env node`, npm and every child `node` are this one.
      const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}`, PACKAGE_TARBALL: tarball, OPENSEARCH_URL: opensearch };
      const run = spawnSync(node, [join(REPO, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--reporter', 'dot', ...TIERS], { cwd: REPO, env, stdio: 'inherit' });
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      results.push({ major, version, ok: run.status === 0, seconds });
      console.log(`node-matrix: ${version} ${run.status === 0 ? 'passed' : `FAILED (exit ${run.status})`} in ${seconds} s`);
    }
  } finally {
    if (server) await stopInstance(server);
    rmSync(work, { recursive: true, force: true });
  }
  console.log('\nnode-matrix summary (unit + conformance + packed package):');
  for (const r of results) console.log(`  Node ${r.version}: ${r.ok ? 'pass' : 'FAIL'}  ${r.seconds} s`);
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => { console.error(error); process.exitCode = 1; });
