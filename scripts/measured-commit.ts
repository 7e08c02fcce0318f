/**
 * The commit a measurement belongs to, for the generated README blocks (compatibility,
 * benchmark): `git rev-parse --short HEAD`, plus "+ uncommitted changes" when src/ differs
 * from it, since then no commit holds the code that was measured. Read-only: git status
 * and rev-parse change nothing in a tree that others commit to.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

export function measuredCommit(root: string = ROOT): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src') === '' ? commit : `${commit} + uncommitted changes`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
