/**
 * Flags more than one command takes, their parsers, and the deprecated spellings.
 * `--signing-host` always names what is signed for, `--listen` always the bind address;
 * `--host` meant one in `request` and the other in the servers, so it stays only as a
 * hidden alias that warns.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommandIo } from './io.js';
import { UsageError } from './exit-codes.js';
import { repeatSeparator } from '../exchange/headers.js';
import { withoutUserinfo } from '../sigv4/wire-url.js';

export interface SigningFlags {
  service?: string;
  region?: string;
  profile?: string;
  roleArn?: string;
  signingHost?: string;
  contentSha256?: boolean;
}

export interface ListenFlags {
  listen: string;
  port?: number;
}

/** Flags every signing command takes. */
export function addSigningFlags(command: Command, what: string): Command {
  return command
    .option('--service <name>', 'signing name: es, aoss, execute-api, ... (default: from the host name, else es)')
    .option('--region <region>', 'region (default: from the host name, else AWS_REGION / AWS_DEFAULT_REGION)')
    .option('--profile <name>', 'credentials of this profile in ~/.aws/config and ~/.aws/credentials (default: the AWS SDK default chain)')
    .option('--role-arn <arn>', 'assume this role (STS AssumeRole, refreshed before it expires) with the --profile or default credentials')
    .option('--signing-host <name>', `sign for (and send as Host) this name while connecting to ${what}: an SSH tunnel or port forward to a VPC domain`)
    .option('--content-sha256', 'send a signed x-amz-content-sha256 (always on for aoss)');
}

/** `--listen` and `--port` of a server command; `--host` kept hidden as the old name of `--listen`. */
export function addListenFlags(command: Command, defaultPort: number, note = ''): Command {
  return command
    .option('--listen <address>', `bind address, optionally with :port (e.g. 0.0.0.0:9200)${note}`, '127.0.0.1')
    .option('--port <n>', `listen port (0: a free one; default ${defaultPort})`, port)
    .addOption(new Option('--host <address>', 'deprecated: --listen').hideHelp());
}

/** The bind address and port, with `--host` read as the deprecated `--listen`. */
export function listenAddress(flags: ListenFlags & { host?: string }, defaultPort: number, cio: CommandIo): { host: string; port: number } {
  let listen = flags.listen;
  if (flags.host !== undefined) {
    cio.warn('--host is deprecated for the listen address: use --listen.');
    listen = flags.host;
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (m) {
    if (flags.port !== undefined) throw new UsageError(`--listen ${listen} already names a port: drop --port.`);
    return { host: m[1] ?? m[2]!, port: port(m[3]!) };
  }
  return { host: listen.replace(/^\[|\]$/g, ''), port: flags.port ?? defaultPort };
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535.');
  return n;
}

export function nonNegative(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number of bytes, 0 or more.');
  return n;
}

/** Milliseconds from `500ms`, `30s`, `2m` or a bare number of milliseconds. */
export function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 30s, 500ms or 2m.');
  const n = Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1);
  return Math.round(n);
}

/** An absolute http(s) URL without userinfo. */
export function parseHttpUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`bad ${what} "${shown(raw)}": give an absolute http(s) URL such as https://search-logs-abc.eu-west-1.es.amazonaws.com/_cluster/health.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`bad ${what} "${shown(raw)}": only http and https are supported.`);
  }
  if (url.username || url.password) {
    throw new UsageError(`bad ${what}: user and password do not go with SigV4; remove them from the URL.`);
  }
  return url;
}

/** A URL as a message may quote it: no user name or password, at most 200 characters. */
function shown(raw: string): string {
  return withoutUserinfo(raw).slice(0, 200);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `Name: value` lines into lower-cased headers, repeats joined. */
export function parseHeaderLines(lines: readonly string[], flag: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim().toLowerCase();
    // Only the first word is quoted: without its colon, the rest of the line may be the value (a token).
    if (!HEADER_NAME.test(name)) throw new UsageError(`bad header starting "${line.split(/[\s:]/, 1)[0]!.slice(0, 40)}": use ${flag} 'Name: value', e.g. ${flag} 'content-type: application/x-ndjson'.`);
    if (name === 'authorization') throw new UsageError('an authorization header cannot go with SigV4: the signature is the authorization.');
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}${repeatSeparator(name)}${value}`;
  }
  return headers;
}
