#!/usr/bin/env node
/**
 * `aws-sigv4-connection`: SigV4 from the shell.
 *
 *   aws-sigv4-connection request GET https://search-logs-abc.eu-west-1.es.amazonaws.com/_cluster/health
 *   aws-sigv4-connection request POST https://.../logs/_bulk --data @bulk.ndjson -H 'content-type: application/x-ndjson'
 *   aws-sigv4-connection proxy --target https://vpc-logs-abc.eu-west-1.es.amazonaws.com --port 9200
 *   aws-sigv4-connection verify-proxy --target http://127.0.0.1:9200 --service es
 *
 * Exit codes: 0 success (2xx, or a server that started), 1 an HTTP error or a failure at
 * run time (credentials, network), 2 bad usage (unknown flag, bad URL, no region...).
 * Nothing printed ever holds a secret key, session token or signature.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { firstHeader, readAll, readRefusalText } from './adapters/shared.js';
import type { AwsCredentialIdentityProvider } from './credentials.js';
import { resolveEndpoint } from './endpoint.js';
import { AwsSigV4Error, ConfigurationError } from './errors.js';
import { isRefusalStatus, RequestSigner, type SigningEvent } from './request-signer.js';
import { redactRefusalBody } from './rejection.js';
import { SigningProxy } from './signing-proxy.js';
import type { AwsCredentialIdentity } from './sigv4.js';
import { runVerifyProxyCli } from './testing/verify-proxy-cli.js';

export interface CliIo {
  stdout?: { write(chunk: string | Uint8Array): unknown };
  stderr?: { write(chunk: string | Uint8Array): unknown };
  /** Read by `--data @-`. Default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** For AWS_REGION / AWS_DEFAULT_REGION. Default process.env (the credential chain always reads process.env). */
  env?: NodeJS.ProcessEnv;
  /** Stop `proxy` and `verify-proxy` on SIGINT/SIGTERM. Default true. */
  handleSignals?: boolean;
  /** Receives the running server of `proxy` and `verify-proxy`, e.g. to close it in a test. */
  onServer?: (server: { url: string; close(): Promise<void> }) => void;
}

/** Bad input the user can fix by changing the command line: exit code 2. */
class UsageError extends Error {
  override name = 'UsageError';
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const METHOD = /^[A-Za-z]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Runs the CLI with `argv` holding the arguments alone (`process.argv.slice(2)`). Resolves
 * with the exit code; for `proxy` and `verify-proxy` as soon as the server listens (it
 * then keeps the process alive until SIGINT/SIGTERM).
 */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const fail = (message: string): void => { err.write(`aws-sigv4-connection: ${message}\n`); };

  // Its flags belong to the verifying stub's own parser, help included.
  if (argv[0] === 'verify-proxy') return verifyProxy(argv.slice(1), io, out, fail);

  let exitCode = EXIT_OK;
  const program = new Command('aws-sigv4-connection')
    .description('AWS SigV4 from the shell: signed requests, a local signing proxy, and a signature-verifying stub.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .showHelpAfterError('(add --help for usage)');

  program.command('request')
    .description('send one signed request and print the response body, like curl or awscurl')
    .argument('<method>', 'HTTP method: GET, POST, PUT, DELETE, HEAD, ...')
    .argument('<url>', 'the full URL, path and query as they go on the wire, e.g. https://search-logs-abc.eu-west-1.es.amazonaws.com/logs/_search?q=level:error')
    .option('-d, --data <data>', 'request body: a string, @FILE for a file\'s bytes as they are (newlines kept, for _bulk), @- or - for stdin')
    .option('-H, --header <header>', "extra header 'Name: value' (repeatable)", collect, [] as string[])
    .option('--service <name>', 'signing name: es, aoss, execute-api, ... (default: from the host name, else es)')
    .option('--region <region>', 'region (default: from the host name, else AWS_REGION / AWS_DEFAULT_REGION)')
    .option('--profile <name>', 'credentials of this profile in ~/.aws/config and ~/.aws/credentials (default: the AWS SDK default chain)')
    .option('--host <name>', 'sign for (and send as Host) this name while connecting to the URL: an SSH tunnel or port forward to a VPC domain')
    .option('--content-sha256', 'send a signed x-amz-content-sha256 (always on for aoss)')
    .option('-i, --include', 'print the status line and response headers before the body')
    .option('--debug-signing', 'print the canonical request and string to sign to stderr (no secret, token or signature)')
    .action(async (method: string, url: string, flags: RequestFlags) => {
      exitCode = await request(method, url, flags, io, out, err);
    });

  program.command('proxy')
    .description('local signing proxy: unmodified tools (curl, Dashboards, Kibana, legacy clients) reach an AWS domain through it')
    .requiredOption('--target <url>', 'the endpoint to sign for, e.g. https://vpc-logs-abc.eu-west-1.es.amazonaws.com (a path is kept as a prefix)')
    .option('--port <n>', 'listen port (0: a free one)', port, 9200)
    .option('--host <address>', 'listen address; anyone who reaches it uses your credentials', '127.0.0.1')
    .option('--service <name>', 'signing name: es, aoss, execute-api, ... (default: from the host name, else es)')
    .option('--region <region>', 'region (default: from the host name, else AWS_REGION / AWS_DEFAULT_REGION)')
    .option('--profile <name>', 'credentials of this profile (default: the AWS SDK default chain)')
    .option('--signing-host <name>', 'sign for (and send as Host) this name while connecting to --target (a tunnel)')
    .option('--content-sha256', 'send a signed x-amz-content-sha256 (always on for aoss)')
    .option('--max-body-bytes <n>', 'bodies are buffered to be hashed up to this size; larger ones get 413 (default 104857600)', nonNegative)
    .option('--quiet', 'no line per request')
    .action(async (flags: ProxyFlags) => {
      exitCode = await proxy(flags, io, out, err);
    });

  program.command('verify-proxy')
    .description('the signature-verifying stub, for tests (see verify-proxy --help)')
    .allowUnknownOption();

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return exitCode;
  } catch (error) {
    return exitCodeOf(error, fail);
  }
}

function exitCodeOf(error: unknown, fail: (message: string) => void): number {
  if (error instanceof CommanderError) {
    // Commander printed its own message already; help and version are not failures.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    if (error.code === 'commander.help' && error.exitCode === 0) return EXIT_OK;
    return EXIT_USAGE;
  }
  if (error instanceof UsageError || error instanceof ConfigurationError) {
    // The library's message names configure(); on the command line the fix is a flag.
    const flag = error instanceof ConfigurationError && error.code === 'ERR_MISSING_REGION' ? ' On the command line: --region.' : '';
    fail(error instanceof ConfigurationError ? `${error.message}${flag} [${error.code}]` : error.message);
    return EXIT_USAGE;
  }
  fail(describeError(error));
  return EXIT_FAILED;
}

// ---------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------

interface RequestFlags {
  data?: string;
  header: string[];
  service?: string;
  region?: string;
  profile?: string;
  host?: string;
  contentSha256?: boolean;
  include?: boolean;
  debugSigning?: boolean;
}

async function request(method: string, rawUrl: string, flags: RequestFlags, io: CliIo, out: Writer, err: Writer): Promise<number> {
  if (!METHOD.test(method)) throw new UsageError(`"${method}" is not an HTTP method (GET, POST, PUT, DELETE, HEAD, ...).`);
  method = method.toUpperCase();
  const url = parseHttpUrl(rawUrl, 'URL');
  const headers = parseHeaders(flags.header);
  const body = flags.data === undefined ? undefined : await readData(flags.data, io.stdin ?? process.stdin);
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  if (body !== undefined) headers['content-length'] = String(body.length);

  const { region, service } = resolveEndpoint(flags.host ? `https://${flags.host}` : url, { region: flags.region, service: flags.service, env: io.env });
  const signer = new RequestSigner({
    region,
    service,
    host: flags.host,
    credentials: flags.profile === undefined ? undefined : profileProvider(flags.profile),
    contentSha256: flags.contentSha256,
    onSign: flags.debugSigning ? (event) => err.write(formatSigningEvent(event)) : undefined,
  });
  const nodeUrl = new URL(url.origin);
  // WHATWG already percent-encoded what cannot go on the wire (spaces, non-ASCII) and kept
  // the user's escapes: what is signed is exactly what is sent.
  const pathAndQuery = `${url.pathname}${url.search}`;

  let credentials = await resolved(signer.credentials());
  const agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  try {
    for (let attempt = 0; ; attempt++) {
      const signed = signer.sign({ method, nodeUrl, pathAndQuery, headers: { ...headers }, body, attempt }, credentials);
      const response = await send(url, method, signed.headers, body, agent);
      const status = response.statusCode ?? 0;
      if (isRefusalStatus(status)) {
        const raw = await readAll(response);
        const text = readRefusalText(raw, response.headers['content-encoding']);
        const verdict = await signer.onRefusal({ statusCode: status, body: text, date: firstHeader(response.headers.date) }, signed, { method, path: pathAndQuery, attempt });
        if (verdict === 'retry') {
          credentials = await resolved(signer.credentials());
          continue;
        }
        if (flags.include) out.write(statusAndHeaders(response));
        // `es` echoes the canonical request it expected, the token line included.
        out.write(hideSecrets(text, credentials));
        if (verdict instanceof AwsSigV4Error) {
          err.write(`\n${formatError(verdict)}\n`);
        }
        return EXIT_FAILED;
      }
      if (flags.include) out.write(statusAndHeaders(response));
      await pipeTo(response, out);
      return status >= 400 ? EXIT_FAILED : EXIT_OK;
    }
  } finally {
    agent.destroy();
  }
}

type Writer = { write(chunk: string | Uint8Array): unknown };

function parseHttpUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`bad ${what} "${raw.slice(0, 200)}": give an absolute http(s) URL such as https://search-logs-abc.eu-west-1.es.amazonaws.com/_cluster/health.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`bad ${what} "${raw.slice(0, 200)}": only http and https are supported.`);
  }
  if (url.username || url.password) {
    throw new UsageError(`bad ${what}: user and password do not go with SigV4; remove them from the URL.`);
  }
  return url;
}

function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim().toLowerCase();
    if (!HEADER_NAME.test(name)) throw new UsageError(`bad header "${line.slice(0, 200)}": use 'Name: value', e.g. -H 'content-type: application/x-ndjson'.`);
    if (name === 'authorization') throw new UsageError('an authorization header cannot go with SigV4: the signature is the authorization.');
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return headers;
}

async function readData(data: string, stdin: NodeJS.ReadableStream): Promise<Buffer> {
  if (data === '-' || data === '@-') return readAll(stdin);
  if (data.startsWith('@')) {
    try {
      return readFileSync(data.slice(1));
    } catch (error) {
      throw new UsageError(`cannot read --data file "${data.slice(1)}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return Buffer.from(data, 'utf8');
}

/** fromIni for one profile, loaded on first use from the optional peer dependency. */
function profileProvider(profile: string): AwsCredentialIdentityProvider {
  let provider: AwsCredentialIdentityProvider | undefined;
  return async (options) => {
    if (provider === undefined) {
      let mod: { fromIni: (init: { profile: string }) => AwsCredentialIdentityProvider };
      try {
        mod = (await import('@aws-sdk/credential-providers')) as unknown as typeof mod;
      } catch (error) {
        throw new ConfigurationError('ERR_MISSING_PEER_DEPENDENCY',
          '--profile needs @aws-sdk/credential-providers: `npm install @aws-sdk/credential-providers`.', { cause: error });
      }
      provider = mod.fromIni({ profile });
    }
    return provider(options);
  };
}

function send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, agent: http.Agent): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https.request : http.request)({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      method,
      path: `${url.pathname}${url.search}`,
      // Host is among them: the signed one (the --host name, or the URL's). Node also takes
      // the TLS server name (SNI, certificate check) from it, which a tunnel to
      // https://localhost:PORT needs: the certificate is the domain's.
      headers: headers as OutgoingHttpHeaders,
      agent,
    });
    request.on('response', resolve);
    request.on('error', reject);
    request.end(body !== undefined && body.length > 0 ? body : undefined);
  });
}

function statusAndHeaders(response: IncomingMessage): string {
  let head = `HTTP/${response.httpVersion} ${response.statusCode} ${response.statusMessage ?? ''}\r\n`;
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) head += `${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}

function formatSigningEvent(e: SigningEvent): string {
  return `* signing ${e.method} ${e.url} (attempt ${e.attempt}): service ${e.service}, region ${e.region}, key ${e.accessKeyId}\n` +
    `* canonical request:\n${e.canonicalRequest}\n` +
    `* string to sign:\n${e.stringToSign}\n` +
    `* signed headers: ${e.signedHeaders}\n`;
}

function formatError(error: AwsSigV4Error): string {
  const lines = [`aws-sigv4-connection: ${error.name} [${error.code}]: ${error.message}`];
  const details = error as AwsSigV4Error & { kind?: string; hint?: string; firstDifference?: string };
  if (details.kind !== undefined) lines.push(`  kind: ${details.kind}`);
  if (details.hint !== undefined) lines.push(`  hint: ${details.hint}`);
  if (details.firstDifference !== undefined) lines.push(`  first difference: ${details.firstDifference}`);
  return lines.join('\n');
}

function describeError(error: unknown): string {
  if (error instanceof AwsSigV4Error) return `${error.name} [${error.code}]: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

function hideSecrets(text: string, credentials: AwsCredentialIdentity): string {
  return redactRefusalBody(text, credentials);
}

// ---------------------------------------------------------------------------------------
// proxy
// ---------------------------------------------------------------------------------------

interface ProxyFlags {
  target: string;
  port: number;
  host: string;
  service?: string;
  region?: string;
  profile?: string;
  signingHost?: string;
  contentSha256?: boolean;
  maxBodyBytes?: number;
  quiet?: boolean;
}

async function proxy(flags: ProxyFlags, io: CliIo, out: Writer, err: Writer): Promise<number> {
  const target = parseHttpUrl(flags.target, '--target');
  if (target.search || target.hash) throw new UsageError('bad --target: it takes no query or fragment.');
  const { region, service } = resolveEndpoint(flags.signingHost ? `https://${flags.signingHost}` : target, { region: flags.region, service: flags.service, env: io.env });
  const server = await SigningProxy.start({
    target,
    listenHost: flags.host,
    port: flags.port,
    signing: {
      region,
      service,
      host: flags.signingHost,
      credentials: flags.profile === undefined ? undefined : profileProvider(flags.profile),
      contentSha256: flags.contentSha256,
      maxBufferedBodyBytes: flags.maxBodyBytes,
    },
    onRequest: flags.quiet ? undefined : (e) => err.write(`${e.status} ${e.method} ${e.path} ${e.bodyBytes}B ${e.ms}ms${e.retries ? ' (re-signed once)' : ''}${e.error ? `: ${e.error}` : ''}\n`),
    onRejection: (error) => err.write(`${formatError(error)}\n`),
  });
  // Credentials now, so a machine without any learns it at start rather than at the first request.
  try {
    await resolved(server.signer.credentials());
  } catch (error) {
    await server.close();
    throw error;
  }
  out.write(`aws-sigv4-connection proxy listening on ${server.url} -> ${server.targetUrl} (service ${service}, region ${region}${flags.signingHost ? `, signed as ${flags.signingHost}` : ''})\n`);
  io.onServer?.(server);
  if (io.handleSignals ?? true) {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(() => err.write('aws-sigv4-connection proxy stopped\n'));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
  return EXIT_OK;
}

// ---------------------------------------------------------------------------------------
// verify-proxy
// ---------------------------------------------------------------------------------------

async function verifyProxy(argv: string[], io: CliIo, out: Writer, fail: (message: string) => void): Promise<number> {
  try {
    const server = await runVerifyProxyCli(argv, {
      env: io.env,
      print: (line) => out.write(`${line}\n`),
      handleSignals: io.handleSignals,
    });
    io.onServer?.(server);
    return EXIT_OK;
  } catch (error) {
    // Thrown by runVerifyProxyCli itself (not through commander's parser): not printed yet.
    if (error instanceof InvalidArgumentError) {
      fail(error.message);
      return EXIT_USAGE;
    }
    return exitCodeOf(error, fail);
  }
}

// ---------------------------------------------------------------------------------------
// small helpers
// ---------------------------------------------------------------------------------------

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535.');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of bytes.');
  return n;
}

async function resolved<T>(value: T | Promise<T>): Promise<T> {
  return value;
}

async function pipeTo(stream: IncomingMessage, out: Writer): Promise<void> {
  const emitter = out as Writer & Partial<NodeJS.EventEmitter>;
  for await (const chunk of stream) {
    // A large search result into a slow pipe: wait for it rather than buffer it all.
    if (out.write(chunk as Buffer) === false && typeof emitter.once === 'function') await once(emitter as NodeJS.EventEmitter, 'drain');
  }
}

// The CommonJS build is the bin; under ESM (or when imported) nothing runs.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  // A reader that went away (`| head`) is not an error of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  runCli(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      process.stderr.write(`aws-sigv4-connection: ${describeError(error)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
