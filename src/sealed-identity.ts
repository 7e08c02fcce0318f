/**
 * Credentials that never print. Its own module, importing nothing at run time, so that the
 * testing entry (which verifies with @smithy, never our signer) can seal what it holds too.
 */
import type { AwsCredentialIdentity } from './sigv4/types.js';

/** util.inspect's hook, by its registered name, so this module needs no node: import. */
export const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * An identity that never prints: its values sit in private fields behind getters on the
 * prototype, so util.inspect (any depth, showHidden), JSON.stringify and String() see the
 * masked key id and nothing else (and an object spread copies nothing). A static identity
 * given to configure() is kept as one, so the options, the signer and whatever holds them
 * print safely; the cache keeps what it holds in a private field.
 */
export class SealedIdentity implements AwsCredentialIdentity {
  readonly #accessKeyId: string;
  readonly #secretAccessKey: string;
  readonly #sessionToken: string | undefined;
  readonly #expiration: Date | undefined;

  constructor(identity: AwsCredentialIdentity) {
    this.#accessKeyId = identity.accessKeyId;
    this.#secretAccessKey = identity.secretAccessKey;
    this.#sessionToken = identity.sessionToken ?? undefined;
    this.#expiration = identity.expiration ?? undefined;
  }

  get accessKeyId(): string { return this.#accessKeyId; }
  get secretAccessKey(): string { return this.#secretAccessKey; }
  get sessionToken(): string | undefined { return this.#sessionToken; }
  get expiration(): Date | undefined { return this.#expiration; }

  /** What JSON.stringify and loggers that call it see: the masked key id, and whether a token and an expiration are there. */
  toJSON(): { accessKeyId: string; secretAccessKey: '[REDACTED]'; sessionToken?: '[REDACTED]'; expiration?: string } {
    return {
      accessKeyId: maskKey(this.#accessKeyId),
      secretAccessKey: '[REDACTED]',
      ...(this.#sessionToken ? { sessionToken: '[REDACTED]' as const } : {}),
      ...(this.#expiration ? { expiration: this.#expiration.toISOString() } : {}),
    };
  }

  toString(): string {
    return `SealedIdentity(${maskKey(this.#accessKeyId)})`;
  }

  [INSPECT](): string {
    const json = this.toJSON();
    return `SealedIdentity { accessKeyId: '${json.accessKeyId}', secretAccessKey: [REDACTED]${json.sessionToken ? ', sessionToken: [REDACTED]' : ''}${json.expiration ? `, expiration: ${json.expiration}` : ''} }`;
  }
}

/** The identity sealed (the same object when it is sealed already). */
export function sealIdentity(identity: AwsCredentialIdentity): SealedIdentity {
  return identity instanceof SealedIdentity ? identity : new SealedIdentity(identity);
}

/** `AKIA...WXYZ`: enough to tell keys apart in a message, never the secret. */
export function maskKey(accessKeyId: string): string {
  return accessKeyId.length > 8 ? `${accessKeyId.slice(0, 4)}...${accessKeyId.slice(-4)}` : accessKeyId;
}
