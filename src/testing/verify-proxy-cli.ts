// Command-line front of the verifying proxy: parse flags (falling back on the AWS_*
// variables), start it, print its URL and one line per request, stop on SIGINT/SIGTERM.
// Kept thin so that a wider CLI can mount it as a subcommand.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { VerifyProxy } from './verify-proxy.js';

export interface VerifyProxyCliIo {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: a line on process.stdout. */
  print?: (line: string) => void;
  /** Close the proxy on SIGINT/SIGTERM. Default true. */
  handleSignals?: boolean;
}

interface Flags {
  target?: string;
  host: string;
  port: number;
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

/**
 * `argv` holds the arguments alone (`process.argv.slice(2)`). Resolves with the running
 * proxy; throws commander's CommanderError on bad flags and on --help.
 */
export async function runVerifyProxyCli(argv: readonly string[], io: VerifyProxyCliIo = {}): Promise<VerifyProxy> {
  const env = io.env ?? process.env;
  const print = io.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const flags = new Command('verify-proxy')
    .description('Reverse proxy that checks SigV4 signatures as AWS does, then forwards to OpenSearch/Elasticsearch.')
    .option('--target <url>', 'upstream base URL, e.g. http://127.0.0.1:9200 (absent: answer 200 {} itself)')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'listen port (0: a free one)', integer, 0)
    .option('--service <name>', 'signing name expected: es, aoss, execute-api, ...', 'es')
    .option('--region <region>', 'region expected (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)')
    .option('--access-key-id <id>', 'accepted access key (default: AWS_ACCESS_KEY_ID)')
    .option('--secret-access-key <secret>', 'its secret (default: AWS_SECRET_ACCESS_KEY; prefer the variable, flags show in ps)')
    .option('--session-token <token>', 'its session token (default: AWS_SESSION_TOKEN)')
    .option('--expected-host <host>', 'the Host header every request must carry')
    .option('--max-body-bytes <n>', 'larger bodies get 413 (default 10485760)', integer)
    .option('--clock-offset-ms <n>', 'stub clock minus real time', integer)
    .option('--pass-through', 'forward without checking signatures')
    .option('--tls-key <file>', 'serve HTTPS with this PEM key')
    .option('--tls-cert <file>', 'and this PEM certificate')
    .option('--quiet', 'no line per request')
    .exitOverride()
    .parse(argv, { from: 'user' })
    .opts<Flags>();

  const accessKeyId = flags.accessKeyId ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = flags.secretAccessKey ?? env.AWS_SECRET_ACCESS_KEY;
  const sessionToken = flags.sessionToken ?? env.AWS_SESSION_TOKEN;
  if ((accessKeyId === undefined || secretAccessKey === undefined) && !flags.passThrough) {
    throw new InvalidArgumentError('no credentials: pass --access-key-id and --secret-access-key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  if ((flags.tlsKey === undefined) !== (flags.tlsCert === undefined)) {
    throw new InvalidArgumentError('--tls-key and --tls-cert go together');
  }
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';

  const proxy = await VerifyProxy.start({
    target: flags.target,
    host: flags.host,
    port: flags.port,
    service: flags.service,
    region,
    credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? [{ accessKeyId, secretAccessKey, sessionToken }] : [],
    expectedHost: flags.expectedHost,
    maxBodyBytes: flags.maxBodyBytes,
    clockOffsetMs: flags.clockOffsetMs,
    passThrough: flags.passThrough,
    tls: flags.tlsKey !== undefined && flags.tlsCert !== undefined
      ? { key: readFileSync(flags.tlsKey), cert: readFileSync(flags.tlsCert) }
      : undefined,
    onRequest: flags.quiet
      ? undefined
      : (r) => print(`${r.status} ${r.verdict} ${r.method} ${r.path}${r.accessKeyId ? ` (${r.accessKeyId})` : ''}${r.message ? `: ${r.message}` : ''}`),
  });
  print(`verify-proxy listening on ${proxy.url} -> ${flags.target ?? 'no upstream (200 {})'}; ` +
    `${flags.passThrough ? 'pass-through, no checks' : `service ${flags.service}, region ${region}, key ${accessKeyId}${sessionToken ? ' with session token' : ''}`}`);

  if (io.handleSignals ?? true) {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void proxy.close().then(() => print('verify-proxy stopped'));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
  return proxy;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`not an integer: ${value}`);
  return n;
}
