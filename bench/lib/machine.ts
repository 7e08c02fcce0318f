/** What a figure depends on, printed with it: machine, runtime and the versions of every contender. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { measuredCommit } from '../../scripts/measured-commit.js';

const ROOT = join(__dirname, '..', '..');

export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
  v8: string;
  openssl: string;
  os: string;
  memGiB: number;
  loadAvg: string;
}

export function machine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl ?? 'n/a',
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAvg: loadAvg(),
  };
}

export function loadAvg(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

function versionOf(dir: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function packageVersions(): Array<[string, string]> {
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return [
    [own.name, `${own.version} (src/ at commit ${measuredCommit()})`],
    ['aws4', versionOf('aws4')],
    ['@smithy/signature-v4', versionOf('@smithy/signature-v4')],
    ['@smithy/hash-node', versionOf('@smithy/hash-node')],
    ['@opensearch-project/opensearch', versionOf('@opensearch-project/opensearch')],
    ['aws-elasticsearch-connector', versionOf('aws-elasticsearch-connector')],
    ['@elastic/elasticsearch (as es7, for the connector)', versionOf('es7')],
    ['aws-sdk (v2, for the connector)', versionOf('aws-sdk')],
    ['tsx', versionOf('tsx')],
  ];
}
