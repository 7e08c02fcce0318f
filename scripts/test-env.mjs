// Prepares what the tests need beyond node_modules, idempotently: a Python virtualenv in
// .venv with test/requirements.txt (botocore, the reference signer, and the Python signers
// our users migrate from). Without Python the tests that need it skip loudly (fail in CI).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const requirements = readFileSync('test/requirements.txt', 'utf8');
const stamp = '.venv/.requirements';
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === requirements) process.exit(0);

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status === 0;
if (spawnSync('python3', ['--version']).status !== 0) {
  console.warn('\n  !!! python3 not found: the botocore differential and Python parity tests will be skipped.\n');
  process.exit(process.env.CI ? 1 : 0);
}
if (!existsSync('.venv/bin/python') && !run('python3', ['-m', 'venv', '.venv'])) {
  console.warn('\n  !!! python3 -m venv failed (Debian: apt-get install python3-venv): Python-based tests will be skipped.\n');
  process.exit(process.env.CI ? 1 : 0);
}
if (!run('.venv/bin/python', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', 'test/requirements.txt'])) {
  console.warn('\n  !!! pip install -r test/requirements.txt failed: Python-based tests will be skipped.\n');
  process.exit(process.env.CI ? 1 : 0);
}
writeFileSync(stamp, requirements);
