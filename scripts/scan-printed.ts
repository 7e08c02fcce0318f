// Runs a test command (`tsx scripts/scan-printed.ts mocha test/unit ...`), passing its output
// through, and fails it when anything it printed holds a test secret or token in any form
// (test/support/printed-secrets.ts). Exit: the command's own code, else 1 on a hit.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { scanPrinted, testSecrets } from '../test/support/printed-secrets.js';

const ROOT = join(__dirname, '..');
const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write('usage: tsx scripts/scan-printed.ts <command> [args...]\n');
  process.exit(2);
}
const secrets = testSecrets(ROOT, ['test', 'scripts']);
const chunks: Buffer[] = [];
const child = spawn(command === 'mocha' ? join(ROOT, 'node_modules', '.bin', 'mocha') : command, args, { cwd: ROOT, stdio: ['inherit', 'pipe', 'pipe'] });
child.stdout.on('data', (chunk: Buffer) => { chunks.push(chunk); process.stdout.write(chunk); });
child.stderr.on('data', (chunk: Buffer) => { chunks.push(chunk); process.stderr.write(chunk); });
child.on('close', (code, signal) => {
  const output = Buffer.concat(chunks).toString('utf8');
  const hits = scanPrinted(output, secrets);
  process.stdout.write(`\nscan-printed: ${output.length} characters of output searched for ${secrets.length} test secrets and tokens in every form: ${hits.length} hits\n`);
  for (const hit of hits.slice(0, 50)) process.stdout.write(`  output line ${hit.line}: the literal at ${hit.where}, ${hit.form}\n`);
  process.exit(code !== 0 ? (code ?? 1) : signal !== null ? 1 : hits.length > 0 ? 1 : 0);
});
