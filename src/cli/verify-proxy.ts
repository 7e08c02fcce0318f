/**
 * `verify-proxy`: the signature-verifying stub (aws-sigv4-connection/testing) as a
 * server. It needs the optional peers @smithy/signature-v4 and @smithy/hash-node, loaded
 * only when it runs: the other commands work without them.
 */
import { Command, InvalidArgumentError } from 'commander';
import { EXIT_OK, UsageError } from './exit-codes.js';
import { addListenFlags, listenAddress, nonNegative, parseHttpUrl, type ListenFlags } from './flags.js';
import type { CommandIo } from './io.js';
import { readTlsFiles, stopOnSignals } from './server-lifecycle.js';

interface VerifyProxyFlags extends ListenFlags {
  target?: string;
  host?: string;
  service: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  expectedHost?: string;
  maxBodyBytes?: number;
  clockOffsetMs?: number;
  passThrough?: boolean;
  tlsKey?: string;
  tlsCert?: string;
  quiet?: boolean;
}

export function verifyProxyCommand(cio: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('verify-proxy')
    .description('the signature-verifying stub, for tests: checks SigV4 (headers or presigned query) as AWS does, then forwards to OpenSearch/Elasticsearch')
    .option('--target <url>', 'upstream base URL, e.g. http://127.0.0.1:9200 (absent: answer 200 {} itself)');
  addListenFlags(command, 0)
    .option('--service <name>', 'signing name expected: es, aoss, execute-api, ...', 'es')
    .option('--region <region>', 'region expected (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)')
    .option('--access-key-id <id>', 'accepted access key (default: AWS_ACCESS_KEY_ID)')
    .option('--secret-access-key <secret>', 'its secret (default: AWS_SECRET_ACCESS_KEY; prefer the variable, flags show in ps)')
    .option('--session-token <token>', 'its session token (default: AWS_SESSION_TOKEN)')
    .option('--expected-host <host>', 'the Host header every request must carry (without it, a signature made for any host is accepted, where AWS checks the domain)')
    .option('--max-body-bytes <n>', 'larger bodies get 413 (default 10485760)', nonNegative)
    .option('--clock-offset-ms <n>', 'stub clock minus real time, in ms (may be negative)', signedInteger)
    .option('--pass-through', 'forward without checking signatures')
    .option('--tls-key <file>', 'serve HTTPS with this PEM key')
    .option('--tls-cert <file>', 'and this PEM certificate')
    .option('--quiet', 'no line per request')
    .allowExcessArguments(false);
  return command.action(async (flags: VerifyProxyFlags) => {
    setExit(await runVerifyProxy(flags, cio));
  });
}

async function runVerifyProxy(flags: VerifyProxyFlags, cio: CommandIo): Promise<number> {
  const { host, port } = listenAddress(flags, 0, cio);
  const env = cio.env;
  if (flags.target !== undefined) {
    const target = parseHttpUrl(flags.target, '--target');
    if (target.search || target.hash) throw new UsageError('bad --target: it takes no query or fragment.');
  }
  // Before anything else is asked of the user: without the signer it checks with, nothing else matters.
  const { VerifyProxy } = await loadStub();
  const accessKeyId = flags.accessKeyId ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = flags.secretAccessKey ?? env.AWS_SECRET_ACCESS_KEY;
  const sessionToken = flags.sessionToken ?? env.AWS_SESSION_TOKEN;
  if ((accessKeyId === undefined || secretAccessKey === undefined) && !flags.passThrough) {
    throw new UsageError('no credentials: pass --access-key-id and --secret-access-key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.');
  }
  const tls = readTlsFiles(flags.tlsKey, flags.tlsCert);
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const print = (line: string): void => { cio.out.write(`${line}\n`); };
  const proxy = await VerifyProxy.start({
    target: flags.target,
    host,
    port,
    service: flags.service,
    region,
    credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? [{ accessKeyId, secretAccessKey, sessionToken }] : [],
    expectedHost: flags.expectedHost,
    maxBodyBytes: flags.maxBodyBytes,
    clockOffsetMs: flags.clockOffsetMs,
    passThrough: flags.passThrough,
    // It runs for as long as a user keeps it: records would grow with every request.
    maxRecords: 0,
    tls,
    onRequest: flags.quiet
      ? undefined
      : (r) => print(`${r.status} ${r.verdict} ${r.method} ${r.path}${r.accessKeyId ? ` (${r.accessKeyId})` : ''}${r.message ? `: ${r.message}` : ''}`),
  });
  print(`verify-proxy listening on ${proxy.url} -> ${flags.target ?? 'no upstream (200 {})'}; ` +
    `${flags.passThrough ? 'pass-through, no checks' : `service ${flags.service}, region ${region}, key ${accessKeyId}${sessionToken ? ' with session token' : ''}`}`);
  cio.io.onServer?.(proxy);
  if (cio.io.handleSignals ?? true) stopOnSignals(() => proxy.close(), () => print('verify-proxy stopped'));
  return EXIT_OK;
}

type StubModule = typeof import('../testing/verify-proxy.js');

async function loadStub(): Promise<StubModule> {
  // require-peers names both @smithy packages, with the one install line, before the stub loads them.
  await import('../testing/require-peers.js');
  return import('../testing/verify-proxy.js');
}

function signedInteger(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number of milliseconds (may be negative).');
  return n;
}


