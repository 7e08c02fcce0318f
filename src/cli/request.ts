/**
 * `request`: one signed request, like curl or awscurl; `--dry-run` and `--print-curl`
 * show it without sending. Its modules are loaded when it runs, so `--help` of any
 * command needs none of them.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Command, Option } from 'commander';
import type { SigningEvent, Signed } from '../request-signer.js';
import { EXIT_FAILED, EXIT_OK, UsageError, formatError } from './exit-codes.js';
import { addSigningFlags, collect, parseHeaderLines, parseHttpUrl, type SigningFlags } from './flags.js';
import type { CommandIo, Writer } from './io.js';

interface RequestFlags extends SigningFlags {
  data?: string;
  header: string[];
  host?: string;
  include?: boolean;
  debugSigning?: boolean;
  dryRun?: boolean;
  printCurl?: boolean;
}

const METHOD = /^[A-Za-z]+$/;

export function requestCommand(cio: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('request')
    .description('send one signed request and print the response body, like curl or awscurl')
    .argument('<method>', 'HTTP method: GET, POST, PUT, DELETE, HEAD, ...')
    .argument('<url>', 'the full URL, path and query as they go on the wire, e.g. https://search-logs-abc.eu-west-1.es.amazonaws.com/logs/_search?q=level:error')
    .option('-d, --data <data>', 'request body: a string, @FILE for a file\'s bytes as they are (newlines kept, for _bulk), @- or - for stdin')
    .option('-H, --header <header>', "extra header 'Name: value' (repeatable)", collect, [] as string[]);
  addSigningFlags(command, 'the URL')
    .addOption(new Option('--host <name>', 'deprecated: --signing-host').hideHelp())
    .option('-i, --include', 'print the status line and response headers before the body')
    .option('--debug-signing', 'print the canonical request and string to sign to stderr (no secret, token or signature)')
    .option('--dry-run', 'print the signed request (signature and token redacted) and do not send it')
    .option('--print-curl', 'print an equivalent curl command line (curl signs it with --aws-sigv4; no secret in it) and do not send')
    // Counted here rather than by commander, to say where a body goes.
    .allowExcessArguments(true);
  return command.action(async (method: string, url: string, flags: RequestFlags, self: Command) => {
    if (self.args.length > 2) {
      // Not quoted: a token given without its flag lands here too.
      throw new UsageError(`request takes two arguments, the method and the URL, and got ${self.args.length}: ` +
        'a body goes in --data (--data \'{"doc":1}\', --data @body.json, or --data - for stdin), a header in -H \'name: value\'.');
    }
    setExit(await runRequest(method, url, flags, cio));
  });
}

async function runRequest(rawMethod: string, rawUrl: string, flags: RequestFlags, cio: CommandIo): Promise<number> {
  // Quoted only when short: arguments in the wrong order can put a token here.
  if (!METHOD.test(rawMethod)) throw new UsageError(`${rawMethod.length <= 16 ? `"${rawMethod}"` : 'the first argument'} is not an HTTP method (GET, POST, PUT, DELETE, HEAD, ...).`);
  if (flags.host !== undefined) {
    cio.warn('--host is deprecated for the name signed for: use --signing-host.');
    flags.signingHost ??= flags.host;
  }
  const method = rawMethod.toUpperCase();
  const url = parseHttpUrl(rawUrl, 'URL');
  const headers = parseHeaderLines(flags.header, '-H');
  const [{ resolveEndpoint }, { RequestSigner }, { credentialsFromFlags }, { readBody }, { sendSigned, withBodyLength }] = await Promise.all([
    import('../endpoint.js'), import('../request-signer.js'), import('./credential-flags.js'), import('../exchange/body.js'), import('./signed-request.js'),
  ]);
  const { region, service } = resolveEndpoint(flags.signingHost ? `https://${flags.signingHost}` : url, { region: flags.region, service: flags.service, env: cio.env });
  if (flags.printCurl) {
    cio.out.write(`${curlCommand(method, url, headers, flags, region, service)}\n`);
    return EXIT_OK;
  }
  const body = flags.data === undefined ? undefined : readData(flags.data, cio.io.stdin ?? process.stdin);
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';

  const signer = new RequestSigner({
    region,
    service,
    host: flags.signingHost,
    credentials: credentialsFromFlags(flags, region),
    contentSha256: flags.contentSha256,
    onSign: flags.debugSigning ? (event) => cio.err.write(formatSigningEvent(event)) : undefined,
  });
  const nodeUrl = new URL(url.origin);
  // WHATWG already percent-encoded what cannot go on the wire (spaces, non-ASCII) and kept
  // the user's escapes: what is signed is exactly what is sent.
  const pathAndQuery = `${url.pathname}${url.search}`;
  if (flags.dryRun) {
    const [credentials, read] = await Promise.all([signer.credentials(), readBody(body, signer.options.maxBufferedBodyBytes, undefined, { hash: () => signer.bodyHash() })]);
    const signed = signer.sign({ method, nodeUrl, pathAndQuery, headers: withBodyLength({ ...headers }, read.body), body: read.body, payloadHash: read.payloadHash, attempt: 0 }, credentials);
    cio.out.write(formatDryRun(method, url, signed, read.body));
    return EXIT_OK;
  }

  const { response, rawHeaders, text, rejection } = await sendSigned({ signer, url, method, pathAndQuery, headers, body });
  if (flags.include) cio.out.write(statusAndHeaders(response, rawHeaders));
  if (text !== undefined) {
    // An error answer, read whole and scrubbed by the exchange (`es` echoes the canonical request in a refusal).
    cio.out.write(text);
    if (rejection !== undefined) cio.err.write(`\n${formatError(rejection)}\n`);
    return EXIT_FAILED;
  }
  await pipeTo(response, cio.out);
  return (response.statusCode ?? 0) >= 400 ? EXIT_FAILED : EXIT_OK;
}

/** --data's bytes: a file's or the string's at once, stdin as the stream it is (read by the exchange). */
function readData(data: string, stdin: NodeJS.ReadableStream): Buffer | NodeJS.ReadableStream {
  if (data === '-' || data === '@-') return stdin;
  if (data.startsWith('@')) {
    try {
      return readFileSync(data.slice(1));
    } catch (error) {
      throw new UsageError(`cannot read --data file "${data.slice(1)}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return Buffer.from(data, 'utf8');
}

/** The signed request as it would go on the wire, its signature and token replaced. */
function formatDryRun(method: string, url: URL, signed: Signed, body: string | Uint8Array | undefined): string {
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `* to ${url.origin}`];
  for (const [name, value] of Object.entries(signed.headers)) lines.push(`${name}: ${redactHeader(name, value)}`);
  const size = body === undefined ? 0 : Buffer.byteLength(body);
  lines.push('', size === 0 ? '* no body' : `* body: ${size} bytes`, '');
  return lines.join('\n');
}

function redactHeader(name: string, value: string): string {
  if (name === 'authorization') return value.replace(/Signature=[0-9a-f]+/i, 'Signature=[REDACTED]');
  if (name === 'x-amz-security-token') return '[REDACTED]';
  return value;
}

/**
 * An equivalent curl command: curl's own --aws-sigv4 signs it with the keys from the
 * environment, so the line holds no secret and is still runnable.
 */
function curlCommand(method: string, url: URL, headers: Record<string, string>, flags: RequestFlags, region: string, service: string): string {
  const parts = ['curl', '--aws-sigv4', q(`aws:amz:${region}:${service}`), '--user', '"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'];
  // The token header only when there is a token (POSIX sh expansions).
  parts.push('${AWS_SESSION_TOKEN:+-H}', '${AWS_SESSION_TOKEN:+"x-amz-security-token: $AWS_SESSION_TOKEN"}');
  if (method !== 'GET' || flags.data !== undefined) parts.push('-X', method);
  for (const [name, value] of Object.entries(headers)) parts.push('-H', q(`${name}: ${value}`));
  if (flags.data !== undefined) {
    if (!Object.keys(headers).includes('content-type')) parts.push('-H', q('content-type: application/json'));
    if (service === 'aoss' || flags.contentSha256) parts.push('-H', q('x-amz-content-sha256: <sha256 of the body>'));
    parts.push('--data-binary', flags.data === '-' ? '@-' : q(flags.data));
  }
  let target = url;
  if (flags.signingHost !== undefined) {
    // Sign for the domain while connecting where the URL points (the tunnel).
    target = new URL(url.href);
    target.host = flags.signingHost;
    // The name signed for carries its own port or none: the URL's port is the tunnel's.
    if (!flags.signingHost.includes(':')) target.port = '';
    const defaultPort = url.protocol === 'https:' ? '443' : '80';
    parts.push('--connect-to', q(`${target.hostname}:${target.port || defaultPort}:${url.hostname}:${url.port || defaultPort}`));
  }
  parts.push(q(target.href));
  return parts.join(' ');
}

function q(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.split("'").join("'\\''")}'`;
}

function statusAndHeaders(response: IncomingMessage, rawHeaders: readonly string[]): string {
  let head = `HTTP/${response.httpVersion} ${response.statusCode} ${response.statusMessage ?? ''}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}

function formatSigningEvent(e: SigningEvent): string {
  return `* signing ${e.method} ${e.url} (attempt ${e.attempt}): service ${e.service}, region ${e.region}, key ${e.accessKeyId}\n` +
    `* canonical request:\n${e.canonicalRequest}\n` +
    `* string to sign:\n${e.stringToSign}\n` +
    `* signed headers: ${e.signedHeaders}\n`;
}

async function pipeTo(stream: IncomingMessage, out: Writer): Promise<void> {
  const emitter = out as Writer & Partial<NodeJS.EventEmitter>;
  for await (const chunk of stream) {
    // A large search result into a slow pipe: wait for it rather than buffer it all.
    if (out.write(chunk as Buffer) === false && typeof emitter.once === 'function') await once(emitter as NodeJS.EventEmitter, 'drain');
  }
}
