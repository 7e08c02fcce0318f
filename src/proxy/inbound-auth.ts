/**
 * The credential a client must show before the proxy lends it the AWS identity: a bearer
 * token or HTTP basic auth. Compared in constant time over digests of equal length, so
 * neither the value nor its length leaks through timing; the expected values are held
 * only as digests and never printed. A token is not throttled (./auth-throttle.ts), so one
 * that could be guessed is refused at start: it must be able to carry 128 bits.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigurationError } from '../errors.js';

export interface InboundAuthOptions {
  /** Clients send `Authorization: Bearer <token>`. */
  token?: string;
  /** Clients send `Authorization: Basic base64(user:password)`; given as `user:password`. */
  basic?: string;
}

/** Bits a random token needs so that no rate of guessing finds it. */
export const MIN_TOKEN_BITS = 128;

/**
 * The most bits `token` can carry: its length times log2 of the alphabet its kinds of
 * characters span (digits 10, lower 26, upper 26, other printable ASCII 33). A ceiling, not
 * an estimate: a long `aaaa...` passes it, but a token under it is surely guessable.
 */
export function tokenBitsCeiling(token: string): number {
  const kinds: Array<[RegExp, number]> = [[/[0-9]/, 10], [/[a-z]/, 26], [/[A-Z]/, 26], [/[^0-9a-zA-Z]/, 33]];
  const alphabet = kinds.reduce((sum, [kind, size]) => sum + (kind.test(token) ? size : 0), 0);
  return alphabet === 0 ? 0 : token.length * Math.log2(alphabet);
}

/** Why `token` is too weak to be the proxy's inbound token, or undefined; never quotes it. */
export function weakTokenProblem(token: string): string | undefined {
  const bits = tokenBitsCeiling(token);
  if (bits >= MIN_TOKEN_BITS) return undefined;
  return `can be guessed: its ${token.length} characters carry at most ${Math.floor(bits)} bits, and a token, not throttled, needs ${MIN_TOKEN_BITS}. ` +
    'Use a random one, e.g. the output of `openssl rand -hex 32`';
}

export class InboundAuth {
  private readonly digests: Buffer[] = [];
  private readonly basic: boolean;
  private readonly user: Buffer | undefined;

  constructor(options: InboundAuthOptions) {
    this.basic = options.basic !== undefined;
    if (options.token !== undefined) {
      const weak = weakTokenProblem(options.token);
      if (weak !== undefined) throw new ConfigurationError('ERR_INVALID_OPTIONS', `The inbound token ${weak}.`);
      this.digests.push(digest(`Bearer ${options.token}`));
    }
    if (options.basic !== undefined) {
      if (!options.basic.includes(':')) throw new ConfigurationError('ERR_INVALID_OPTIONS', 'Basic auth is given as user:password.');
      this.digests.push(digest(`Basic ${Buffer.from(options.basic, 'utf8').toString('base64')}`));
      this.user = digest(Buffer.from(options.basic.slice(0, options.basic.indexOf(':')), 'utf8'));
    }
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** A basic-auth password is accepted: chosen by a person, so worth guessing. */
  get guessable(): boolean {
    return this.basic;
  }

  /** True when no credential is required or the Authorization header carries one. */
  accepts(authorization: string | undefined): boolean {
    if (!this.enabled) return true;
    if (authorization === undefined) return false;
    const seen = digest(normalizeScheme(authorization.trim()));
    let ok = false;
    for (const expected of this.digests) ok = timingSafeEqual(expected, seen) || ok;
    return ok;
  }

  /**
   * The header is basic auth naming the expected user. Failures are throttled apart by this
   * (./auth-throttle.ts): guesses under other names cannot lock the user out of an address.
   */
  namesUser(authorization: string | undefined): boolean {
    if (this.user === undefined || authorization === undefined) return false;
    const value = normalizeScheme(authorization.trim());
    if (!value.startsWith('Basic ')) return false;
    const pair = Buffer.from(value.slice(6), 'base64');
    const colon = pair.indexOf(0x3a);
    return timingSafeEqual(this.user, digest(colon < 0 ? pair : pair.subarray(0, colon)));
  }

  /** The challenge of a 401: Basic when basic auth is accepted, so a browser asks for it. */
  challenge(): string {
    return `${this.basic ? 'Basic' : 'Bearer'} realm="aws-sigv4-connection proxy"`;
  }

  // The expected values are digests: nothing to print.
  toJSON(): { enabled: boolean } {
    return { enabled: this.enabled };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `InboundAuth { enabled: ${this.enabled} }`;
  }
}

function digest(text: string | Buffer): Buffer {
  return createHash('sha256').update(text).digest();
}

// The scheme is case-insensitive (RFC 9110 11.1); the credential is not.
function normalizeScheme(value: string): string {
  const space = value.indexOf(' ');
  if (space < 0) return value;
  const scheme = value.slice(0, space).toLowerCase();
  const rest = value.slice(space + 1).trim();
  return `${scheme === 'bearer' ? 'Bearer' : scheme === 'basic' ? 'Basic' : value.slice(0, space)} ${rest}`;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/**
 * Beyond loopback, whoever reaches the port acts as the signing identity: that needs an
 * inbound credential or a flag saying the user means it. Returns the warning to print.
 */
export function checkExposure(listenHost: string, auth: InboundAuth, allowUnauthenticatedRemote: boolean | undefined): string | undefined {
  if (isLoopback(listenHost)) return undefined;
  if (!auth.enabled && !allowUnauthenticatedRemote) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS',
      `Listening on ${listenHost} lends this proxy's AWS identity to anyone who can reach it. ` +
        'Require an inbound credential (--auth-token, or the AWS_SIGV4_PROXY_TOKEN variable, or --basic-auth user:password), ' +
        'listen on 127.0.0.1, or pass --allow-unauthenticated-remote if you mean it.');
  }
  return auth.enabled
    ? `listening on ${listenHost}, beyond loopback: every client must send the inbound credential; anyone who has it acts with this proxy's AWS identity.`
    : `listening on ${listenHost}, beyond loopback, WITHOUT an inbound credential: anyone who can reach this port acts with this proxy's AWS identity.`;
}
