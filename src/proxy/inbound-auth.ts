/**
 * The credential a client must show before the proxy lends it the AWS identity: a bearer
 * token or HTTP basic auth. Compared in constant time over digests of equal length, so
 * neither the value nor its length leaks through timing; the expected values are held
 * only as digests and never printed.
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

export class InboundAuth {
  private readonly digests: Buffer[] = [];
  private readonly basic: boolean;

  constructor(options: InboundAuthOptions) {
    this.basic = options.basic !== undefined;
    if (options.token !== undefined) this.digests.push(digest(`Bearer ${options.token}`));
    if (options.basic !== undefined) {
      if (!options.basic.includes(':')) throw new ConfigurationError('ERR_INVALID_OPTIONS', 'Basic auth is given as user:password.');
      this.digests.push(digest(`Basic ${Buffer.from(options.basic, 'utf8').toString('base64')}`));
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

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
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
