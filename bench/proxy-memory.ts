/**
 * The signing proxy's peak memory while it holds request bodies for signing: what to give
 * its container beside --max-inflight-body-bytes. The built CLI's proxy in a child process
 * (as a sidecar runs it), a loopback target that reads and answers 200, UPLOADS concurrent
 * PUTs of MIB MiB each written in 64 KiB pieces; the proxy's VmHWM from /proc (Linux) idle
 * and after, and the peak added per body byte held.
 *
 *   npm run build && npx tsx bench/proxy-memory.ts     (a few seconds; UPLOADS=4 MIB=60)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const UPLOADS = Number(process.env.UPLOADS ?? 4);
const MIB = Number(process.env.MIB ?? 60);
const CLI = join(__dirname, '..', 'dist', 'cjs', 'cli', 'main.js');
const ENV = { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDPROXYMEMORY00001', AWS_SECRET_ACCESS_KEY: 'proxy/Memory+Secret/0123456789abcdefghij', AWS_REGION: 'eu-west-1' };

function peakKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/\d+/.exec(line ?? '')?.[0]);
}

function upload(url: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/i/_doc/1`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    let at = 0;
    const write = (): void => {
      while (at < body.length) {
        const more = req.write(body.subarray(at, at + 65_536));
        at += 65_536;
        if (!more) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

async function main(): Promise<void> {
  const target = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const proxy = spawn(process.execPath, [CLI, 'proxy', '--quiet', '--port', '0', '--service', 'es', '--target', `http://127.0.0.1:${(target.address() as AddressInfo).port}`], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let printed = '';
    const url = await new Promise<string>((resolve, reject) => {
      const read = (chunk: Buffer): void => {
        printed += chunk;
        const found = /http:\/\/127\.0\.0\.1:\d+/.exec(printed);
        if (found !== null) resolve(found[0]);
      };
      proxy.stdout.on('data', read);
      proxy.stderr.on('data', read);
      proxy.once('exit', (code) => reject(new Error(`the proxy exited (${code}): ${printed}`)));
    });
    const idle = peakKiB(proxy.pid!);
    const body = Buffer.alloc(MIB << 20, 'a');
    const statuses = await Promise.all(Array.from({ length: UPLOADS }, () => upload(url, body)));
    const added = (peakKiB(proxy.pid!) - idle) / 1024;
    console.log(`| uploads | body | statuses | idle peak RSS | peak RSS added | added per body MiB held |`);
    console.log(`| ---: | ---: | --- | ---: | ---: | ---: |`);
    console.log(`| ${UPLOADS} | ${MIB} MiB | ${statuses.join(' ')} | ${(idle / 1024).toFixed(0)} MiB | ${added.toFixed(0)} MiB | ${(added / (UPLOADS * MIB)).toFixed(2)} |`);
  } finally {
    proxy.kill();
    target.close();
  }
}

void main();
