/**
 * Flags more than one command takes, their parsers, and the deprecated spellings.
 * `--signing-host` always names what is signed for, `--listen` always the bind address;
 * `--host` meant one in `request` and the other in the servers, so it stays only as a
 * hidden alias that warns.
 */
import { isIP } from 'node:net';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommandIo } from './io.js';
import { UsageError } from './exit-codes.js';
import { repeatSeparator } from '../exchange/headers.js';
import { HTTP_TOKEN, mayQuote, NOT_IN_TOKEN, UNSENDABLE_IN_VALUE } from '../sigv4/validate.js';
import { withoutUserinfo } from '../sigv4/wire-url.js';
import { weakTokenProblem } from '../proxy/inbound-auth.js';

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
  let flag = '--listen';
  if (flags.host !== undefined) {
    cio.warn('--host is deprecated for the listen address: use --listen.');
    listen = flags.host;
    flag = '--host';
  }
  const read = readHostPort(listen);
  if ('problem' in read) {
    throw new UsageError(`bad ${flag}${quoted(listen)}: ${read.problem}. Give an address, optionally with :port: ${flag} 0.0.0.0:9200, ${flag} [::1]:9200, ${flag} localhost.`);
  }
  if (read.port !== undefined) {
    if (flags.port !== undefined) throw new UsageError(`${flag} ${listen} already names a port: drop --port.`);
    return { host: read.host, port: Number(read.port) };
  }
  return { host: read.host, port: flags.port ?? defaultPort };
}

/**
 * `name`, `name:port`, an IPv4 address with or without a port, an IPv6 address bare or in
 * brackets (a port only after the brackets): what a bind address or a Host name can be.
 */
function readHostPort(value: string): { host: string; port?: string } | { problem: string } {
  if (value === '') return { problem: 'it is empty' };
  const bad = /[^A-Za-z0-9_.:[\]%-]/.exec(value)?.[0];
  if (bad !== undefined) return { problem: `it has ${badCharacter(bad)} in it` };
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([^[\]]*)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
    if (isIP(host) !== 6) return { problem: 'what is between its brackets is not an IPv6 address' };
  } else if (/[[\]]/.test(value)) {
    return { problem: 'it has a bracket out of place (an IPv6 address with a port is written [::1]:9200)' };
  } else if (value.indexOf(':') !== value.lastIndexOf(':')) {
    // Two colons or more: an IPv6 address, which takes no port outside brackets.
    if (isIP(value) !== 6) return { problem: 'it is not an IPv6 address (one with a port is written [::1]:9200)' };
    host = value;
  } else {
    const colon = value.indexOf(':');
    host = colon === -1 ? value : value.slice(0, colon);
    port = colon === -1 ? undefined : value.slice(colon + 1);
    if (!/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/.test(host)) return { problem: 'it is not an IP address or host name' };
  }
  if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65535)) return { problem: 'its port (after the ":") is not a whole number from 0 to 65535' };
  return port === undefined ? { host } : { host, port };
}

/** `--allow-host` names: each one a Host a client can send (a :port is ignored when compared). */
export function checkHostNames(hosts: readonly string[], flag: string): string[] {
  hosts.forEach((host, i) => {
    const read = readHostPort(host);
    if ('problem' in read) {
      throw new UsageError(`bad ${flag}${quoted(host)} (the ${ordinal(i + 1)}): ${read.problem}. Give a name clients send as Host, e.g. ${flag} search.internal, or an IP address.`);
    }
  });
  return [...hosts];
}

/** `--allow-origin` values: "*", "null" or an origin a browser sends, scheme://host[:port] and nothing more. */
export function checkOrigins(origins: readonly string[], flag: string): string[] {
  origins.forEach((origin, i) => {
    if (origin === '*' || origin.toLowerCase() === 'null') return;
    const bare = origin.replace(/\/+$/, '');
    const bad = /[^\x21-\x7e]/.exec(bare)?.[0];
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#@]*)$/.exec(bare);
    const problem = bad !== undefined ? `it has ${badCharacter(bad)} in it`
      : m === null ? 'an origin is scheme://host[:port], with no path, query or user'
        : 'problem' in readHostPort(m[1]!) ? 'its host is not an IP address or host name' : undefined;
    if (problem !== undefined) {
      throw new UsageError(`bad ${flag}${quoted(origin)} (the ${ordinal(i + 1)}): ${problem}. Give the origin as a browser sends it, e.g. ${flag} https://grafana.example.com.`);
    }
  });
  return [...origins];
}

/**
 * The inbound token (`--auth-token` or AWS_SIGV4_PROXY_TOKEN, named by `what`), refused
 * when no client could ever send it in `Authorization: Bearer ...`: the proxy would start
 * and then refuse every request, or when it could be guessed. Nothing of the value is quoted.
 */
export function checkInboundToken(token: string | undefined, what: string): string | undefined {
  if (token === undefined) return undefined;
  if (token === '') throw new UsageError(`${what} is empty: give a token, or leave ${what.startsWith('-') ? 'the flag out' : 'the variable unset'} for none.`);
  const problem = /[\r\n]/.test(token) ? 'has a line break (CR or LF) in it'
    : /[\x00-\x1f\x7f]/.test(token) ? 'has a control character in it'
      : /[^\x20-\x7e]/.test(token) ? 'has a character beyond ASCII in it (clients send UTF-8, which the proxy reads as Latin-1)'
        : token !== token.trim() ? 'starts or ends with a space (HTTP drops it from the header)' : undefined;
  if (problem !== undefined) {
    throw new UsageError(`${what} ${problem}: clients cannot send it as it is in an Authorization header, so every request would be refused. ` +
      'Use printable ASCII with no space at either end, e.g. the output of `openssl rand -hex 32`.');
  }
  const weak = weakTokenProblem(token);
  if (weak !== undefined) throw new UsageError(`${what} ${weak}.`);
  return token;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535.');
  return n;
}

function wholeNumber(expected: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected ${expected}, 0 or more.`);
    return n;
  };
}

/** A byte count. */
export const nonNegative = wholeNumber('a whole number of bytes');
/** A count of anything else (connections). */
export const count = wholeNumber('a whole number');

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


/**
 * `Name: value` lines into lower-cased headers, repeats joined. A bad line is named by its
 * place (the 2nd -H) and never quoted: without its colon all of it may be a value (a token
 * given alone), and a bad name may hold one too.
 */
export function parseHeaderLines(lines: readonly string[], flag: string): Record<string, string> {
  // No prototype: a `constructor` header read as Object's own, and `__proto__` set none.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const example = `e.g. ${flag} 'content-type: application/x-ndjson'`;
  lines.forEach((line, i) => {
    const which = `the ${ordinal(i + 1)} ${flag}`;
    const colon = line.indexOf(':');
    if (colon === -1) throw new UsageError(`a ${flag} value has no colon (${which}): write it as "name: value", ${example}.`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name === '') throw new UsageError(`${which} has no name before its colon: write it as "name: value", ${example}.`);
    if (!HTTP_TOKEN.test(name)) {
      throw new UsageError(`${which} has ${badCharacter(NOT_IN_TOKEN.exec(name)![0])} in its name: a header name is letters, digits and !#$%&'*+.^_\`|~-, ${example}.`);
    }
    if (name === 'authorization') throw new UsageError('an authorization header cannot go with SigV4: the signature is the authorization.');
    const value = line.slice(colon + 1).trim();
    const bad = UNSENDABLE_IN_VALUE.exec(value)?.[0];
    if (bad !== undefined) {
      const fix = bad === '\r' || bad === '\n' ? `which would end the header line: give each header its own ${flag}` : 'which HTTP cannot carry: remove it';
      throw new UsageError(`${which} (header "${name}") has ${badCharacter(bad)} in its value, ${fix}.`);
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]}${repeatSeparator(name)}${value}`;
  });
  return headers;
}

/** Header names alone (`--strip-header`): each one a name a request can carry. */
export function checkHeaderNames(names: readonly string[], flag: string): string[] {
  names.forEach((name, i) => {
    const problem = name === '' ? 'is empty' : HTTP_TOKEN.test(name) ? undefined : `has ${badCharacter(NOT_IN_TOKEN.exec(name)![0])} in it`;
    if (problem !== undefined) throw new UsageError(`the ${ordinal(i + 1)} ${flag} ${problem}: give a header name alone, e.g. ${flag} x-forwarded-for.`);
  });
  return [...names];
}

/**
 * A user's value as a message may quote it (` "value"`, or nothing): short, printable and
 * not shaped like a key or token. A value given in the wrong place may be a secret.
 */
export function quoted(value: string): string {
  return isQuotable(value) ? ` "${value}"` : '';
}

export function isQuotable(value: string): boolean {
  return value.length <= 32 && /^[\x21-\x7e]*$/.test(value) && mayQuote(value);
}

/** One character of a bad value, described: a printable one quoted alone, others by their kind. */
function badCharacter(ch: string): string {
  if (ch === '\r' || ch === '\n') return 'a line break (CR or LF)';
  if (ch === ' ') return 'a space';
  if (ch === '\t') return 'a tab';
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  if (code < 0x7f) return `"${ch}"`;
  return code > 0xff ? 'a character beyond Latin-1' : 'a character beyond ASCII';
}

/** 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st. */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}
