/**
 * The package as a user installs it, for the test/package files: the checkout packed once per
 * run (or PACKAGE_TARBALL), and empty projects outside the repo with it and their peers installed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');

/** The README's install line, less the package itself (the tarball stands for it). */
export const README_PEERS = ['@aws-sdk/credential-providers', '@opensearch-project/opensearch'];

let packed: { dir: string; tarball: string } | undefined;

/** Packs the checkout once (or takes PACKAGE_TARBALL); removePackedTarball() ends it. */
export function packedTarball(): string {
  if (packed) return packed.tarball;
  const dir = mkdtempSync(join(tmpdir(), 'sigv4-packed-'));
  let tarball = process.env.PACKAGE_TARBALL;
  if (!tarball) {
    if (!existsSync(join(REPO, 'dist', 'cjs', 'index.js'))) execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
    const [info] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8' })) as Array<{ filename: string; size: number; entryCount: number }>;
    tarball = join(dir, info!.filename);
    console.log(`      packed: ${info!.filename}, ${info!.size} bytes, ${info!.entryCount} files`);
  }
  packed = { dir, tarball: resolve(tarball) };
  return packed.tarball;
}

export function removePackedTarball(): void {
  if (packed) rmSync(packed.dir, { recursive: true, force: true });
  packed = undefined;
}

/** An empty project in the temp dir with the tarball and `packages` installed, as `npm install` does it. */
export function userProject(packages: string[]): string {
  const project = mkdtempSync(join(tmpdir(), 'sigv4-user-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  // Nothing above the project may hold a node_modules, or the checks would see more than the user has.
  for (let dir = dirname(project); dir !== dirname(dir); dir = dirname(dir)) assert.ok(!existsSync(join(dir, 'node_modules')), `${dir}/node_modules exists`);
  assert.ok(!existsSync('/node_modules'));
  const started = Date.now();
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', packedTarball(), ...packages], { cwd: project, stdio: 'inherit' });
  const lock = JSON.parse(readFileSync(join(project, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  console.log(`      installed: ${Object.keys(lock.packages).filter(Boolean).length} packages in ${Date.now() - started} ms`);
  return project;
}
