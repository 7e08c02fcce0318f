/**
 * The typed errors of the package. Every one has a stable `code` to branch on and a
 * message that says what to fix.
 *
 * None of them ever holds a secret access key, a session token or a signature: messages
 * are built from names and shapes, never from credential values, and a `cause` coming
 * from elsewhere (a credential provider, AWS's 403 body) is scrubbed before it is kept.
 */

export type ConfigurationErrorCode =
  | 'ERR_MISSING_REGION'
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_INVALID_URL'
  | 'ERR_INVALID_METHOD'
  | 'ERR_INVALID_HEADERS'
  | 'ERR_INVALID_PAYLOAD_HASH'
  | 'ERR_UNSUPPORTED_BODY'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_RESPONSE_TOO_LARGE'
  | 'ERR_MISSING_PEER_DEPENDENCY'
  | 'ERR_PEER_UNSUPPORTED_NODE'
  | 'ERR_SNIFFING_UNSUPPORTED';

export type CredentialsErrorCode =
  | 'ERR_CREDENTIALS_PROVIDER'
  | 'ERR_CREDENTIALS_MALFORMED'
  | 'ERR_CREDENTIALS_EXPIRED';

/** What AWS's 403 (or 400) meant, as far as its body tells. */
export type SignatureRejectionKind =
  | 'signature-mismatch'
  | 'request-time-expired'
  | 'request-time-not-yet-current'
  | 'token-expired'
  | 'token-invalid'
  | 'missing-authentication'
  | 'missing-header'
  | 'scope-mismatch'
  | 'access-denied'
  | 'unknown';

export type SignatureRejectedErrorCode =
  | 'ERR_SIGNATURE_MISMATCH'
  | 'ERR_REQUEST_TIME_SKEWED'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_MISSING_AUTHENTICATION'
  | 'ERR_MISSING_SIGNED_HEADER'
  | 'ERR_SCOPE_MISMATCH'
  | 'ERR_ACCESS_DENIED'
  | 'ERR_SIGNATURE_REJECTED';

export type AwsSigV4ErrorCode = ConfigurationErrorCode | CredentialsErrorCode | SignatureRejectedErrorCode;

// Long runs that look like secret material (AWS secrets are 40 chars of base64, tokens
// are hundreds, signatures 64 hex), also with `/`, `+` and `=` JSON- or URL-escaped.
// Used only on text we did not write ourselves.
const SECRET_SHAPED = /(?:(?:[A-Za-z0-9+/=]|\\\/|%2[BbFf]|%3[Dd]){40,})|(?:\b[0-9a-f]{64}\b)/g;
// A signature quoted back: in an Authorization echo, or S3's <SignatureProvided>.
const AUTH_VALUE = /(Signature=|<SignatureProvided>)[0-9a-f]+/gi;
// The whole value of a token header line or query parameter, in any letter case.
// A value ends at white space, a query separator, a quote or a backslash (a JSON-escaped `\n`
// in an echoed canonical request), but runs on through the escapes of its own characters
// (`\/`, `\u002b`) that a JSON encoder may write.
const TOKEN_HEADER = /(x-amz-security-token\s*[:=]\s*)(?:[^\s&'"\\]|\\\/|\\u[0-9a-fA-F]{4})+/gi;
// S3 echoes the canonical request a second time as space-separated hex bytes.
const CANONICAL_BYTES = /(<CanonicalRequestBytes>)[^<]*(<\/CanonicalRequestBytes>)/g;
const TOKEN_LINE = /^(x-amz-security-token:).*$/gim;
// A credential written out under its own name, before we know its value (a provider's first
// error quoting a profile line or a JSON document): aws_session_token=..., "SecretAccessKey": "...".
const NAMED_CREDENTIAL = /((?:aws_)?(?:session_?token|secret_?access_?key|secret_?key)["']?\s*[:=]\s*["']?)[^\s"',;&<>]+/gi;
/** The start of a secret identifies it: a text cut after it (truncated, split across lines) still holds this much. */
const PREFIX_CHARS = 16;
/** A value shorter than this is replaced only where it stands alone, never inside a word or a header name. */
const ANYWHERE_FROM = 16;
// `=` is not among them: a secret after `key=` stands alone.
const VALUE_CHAR = /[A-Za-z0-9+/%_.~-]/;
const REDACTED = '[REDACTED]';

/**
 * Every form a secret takes in a message: as given, trimmed (as signed), URL-encoded (in
 * a query or a form body), JSON-escaped (in a JSON error, `/` escaped or not, or every
 * symbol as `\uXXXX`), as HTML character references, hex (S3 echoes the canonical request
 * as bytes), base64 or base64url (in a Basic header or a serialized blob, at any offset
 * within it) and UTF-16 read as text.
 */
export function secretForms(secret: string): string[] {
  // The same secret and token come back on every refusal (and every onSign event): kept, a few.
  let known = FORMS_OF.get(secret);
  if (known === undefined) {
    if (FORMS_OF.size >= 8) FORMS_OF.clear();
    known = formsOf(secret);
    FORMS_OF.set(secret, known);
  }
  return known;
}

const FORMS_OF = new Map<string, string[]>();

/** Shorter values get no embedded forms: their base64 cores would be short enough to occur by chance. */
const EMBEDDED_FROM = 12;

/**
 * The base64 characters that `bytes` alone decide wherever they stand in a longer blob (a
 * dump of request headers, `base64("T=" + token)`): one run per offset modulo 3, without the
 * characters shared with the bytes before and after.
 */
function base64Cores(bytes: Uint8Array): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const base64 = btoa(String.fromCharCode(...padded));
    cores.push(base64.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6)));
  }
  return cores;
}

function formsOf(secret: string): string[] {
  const forms = new Set<string>();
  const symbols = (value: string, as: (code: number) => string) => value.replace(/[^A-Za-z0-9]/g, (c) => as(c.charCodeAt(0)));
  for (const value of [secret, secret.trim(), secret.trim().replace(/\s+/g, ' ')]) {
    if (value === '') continue;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
    forms.add(encodeURIComponent(value).replace(/%20/g, '+'));
    forms.add(encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (c) => c.toLowerCase()));
    forms.add(encodeURIComponent(encodeURIComponent(value)));
    const json = JSON.stringify(value).slice(1, -1);
    forms.add(json);
    forms.add(json.replace(/\//g, '\\/'));
    for (const hex of [(n: number) => n.toString(16).padStart(4, '0'), (n: number) => n.toString(16).toUpperCase().padStart(4, '0')]) {
      forms.add(symbols(value, (n) => `\\u${hex(n)}`));
    }
    forms.add(symbols(value, (n) => `&#${n};`));
    forms.add(symbols(value, (n) => `&#x${n.toString(16)};`));
    forms.add(symbols(value, (n) => `&#x${n.toString(16).toUpperCase()};`));
    const bytes = Array.from(new TextEncoder().encode(value), (b) => b.toString(16).padStart(2, '0'));
    for (const hex of [bytes.join(''), bytes.join(' '), bytes.join(':')]) {
      forms.add(hex);
      forms.add(hex.toUpperCase());
    }
    try {
      const base64 = btoa(value);
      forms.add(base64);
      forms.add(base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
    } catch {
      // Not latin1: no btoa form, and no AWS secret or token is anything but ASCII.
    }
    if (value.length >= EMBEDDED_FROM) {
      for (const core of base64Cores(new TextEncoder().encode(value))) {
        forms.add(core);
        forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
      }
      // UTF-16 (a Windows or Java dump), read as text: NUL between the characters, either byte order.
      forms.add(value.split('').join('\u0000'));
      const utf16le = new Uint8Array(value.length * 2);
      for (let i = 0; i < value.length; i++) utf16le.set([value.charCodeAt(i) & 0xff, value.charCodeAt(i) >> 8], 2 * i);
      for (const core of base64Cores(utf16le)) forms.add(core);
      // A hex value (a signature): upper-case, and base64 of the bytes it spells.
      if (/^[0-9a-f]+$/.test(value) && value.length % 2 === 0) {
        forms.add(value.toUpperCase());
        const raw = Uint8Array.from(value.match(/../g)!, (h) => parseInt(h, 16));
        for (const core of base64Cores(raw)) {
          forms.add(core);
          forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
        }
      }
    }
  }
  forms.delete('');
  // Longest first, so a form that contains another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces each known secret, in each of its forms, by value: anywhere when long, as a whole value when short. */
export function redactValues(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of secretForms(secret)) {
      if (out.indexOf(form) === -1) continue;
      out = form.length >= ANYWHERE_FROM ? out.split(form).join(REDACTED) : replaceStandalone(out, form);
    }
    // What is left of a long secret cut short (a message truncated, a value split over lines):
    // its first characters and the value characters after them, its last ones and those before.
    const value = secret.trim();
    if (value.length > PREFIX_CHARS + 8) {
      const start = value.slice(0, PREFIX_CHARS);
      if (out.includes(start)) out = out.split(start).map((part, i) => (i === 0 ? part : part.replace(LEADING_VALUE, ''))).join(REDACTED);
      const end = value.slice(-PREFIX_CHARS);
      if (out.includes(end)) out = out.split(end).map((part, i, parts) => (i === parts.length - 1 ? part : part.replace(TRAILING_VALUE, ''))).join(REDACTED);
    }
  }
  return out;
}

const LEADING_VALUE = /^[A-Za-z0-9+/%_.~=-]*/;
const TRAILING_VALUE = /[A-Za-z0-9+/%_.~=-]*$/;

function replaceStandalone(text: string, form: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
    const before = text[at - 1];
    const after = text[at + form.length];
    if ((before !== undefined && VALUE_CHAR.test(before)) || (after !== undefined && VALUE_CHAR.test(after))) continue;
    out += text.slice(from, at) + REDACTED;
    from = at + form.length;
  }
  return out + text.slice(from);
}

/** Removes known secret values and anything secret-shaped from a text we did not write. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  return redactEchoedToken(redactSignatures(redactValues(text, secrets)))
    .replace(NAMED_CREDENTIAL, '$1[REDACTED]')
    .replace(SECRET_SHAPED, REDACTED);
}

/** Any signature a text quotes back, its value replaced. */
export function redactSignatures(text: string): string {
  return text.replace(AUTH_VALUE, '$1[REDACTED]');
}

/** The token's value where an echoed canonical request or query carries it, whatever its form. */
function redactEchoedToken(text: string): string {
  return text.replace(TOKEN_LINE, '$1[REDACTED]').replace(TOKEN_HEADER, '$1[REDACTED]').replace(CANONICAL_BYTES, '$1[REDACTED]$2');
}

/**
 * A canonical request (ours, or the one AWS echoes in a refusal) fit to print: the value
 * of the x-amz-security-token line or query parameter replaced whole, whatever its form,
 * and the token by value wherever else it stands. Header names are never touched.
 */
export function redactCanonicalRequest(text: string, token: string | undefined): string {
  return redactValues(redactEchoedToken(text), [token]);
}

/** What a thrown value says of itself: see describeThrown. */
export interface ThrownDescription {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/**
 * What any thrown value says of itself, never throwing: an Error, a string, an object
 * without a prototype (`Object.create(null)`), a Proxy, an object whose toString or
 * getters throw. A property that cannot be read, or is not a string, reads as absent; a
 * value with no readable message is named by String(), or by its type where that throws.
 * Not scrubbed: pass the result through redact() (scrubCause does) before keeping it.
 */
export function describeThrown(thrown: unknown): ThrownDescription {
  if (thrown === null || (typeof thrown !== 'object' && typeof thrown !== 'function')) {
    // String() of a primitive never throws (a symbol included).
    return { name: 'Error', message: String(thrown) };
  }
  const name = ownText(thrown, 'name');
  const message = ownText(thrown, 'message') ?? (isError(thrown) ? '' : stringOf(thrown));
  const stack = ownText(thrown, 'stack');
  const code = ownText(thrown, 'code');
  return { name: name ?? 'Error', message, ...(stack !== undefined ? { stack } : {}), ...(code !== undefined ? { code } : {}) };
}

/** A string property of a thrown value; undefined where it is another type or reading it throws (a getter, a Proxy trap). */
function ownText(value: object, key: 'name' | 'message' | 'stack' | 'code'): string | undefined {
  try {
    const text = (value as Record<string, unknown>)[key];
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

function isError(value: object): boolean {
  try {
    return value instanceof Error;
  } catch {
    // A Proxy whose getPrototypeOf trap throws.
    return false;
  }
}

function stringOf(value: object): string {
  try {
    return String(value);
  } catch {
    // No toString (a null prototype), one that throws or returns an object, a revoked Proxy.
  }
  return `a thrown ${typeof value} that cannot be converted to a string`;
}

/**
 * A copy of a foreign error with its message and stack scrubbed, keeping name and code.
 * Total: any thrown value (see describeThrown) becomes a scrubbed Error, and nothing here throws.
 */
export function scrubCause(cause: unknown, secrets: ReadonlyArray<string | undefined> = []): Error | undefined {
  if (cause === undefined || cause === null) return undefined;
  const thrown = describeThrown(cause);
  const copy = new Error(redact(thrown.message, secrets));
  // Name and code are the thrower's text too: a provider may put anything in them.
  copy.name = redact(thrown.name, secrets);
  copy.stack = thrown.stack !== undefined ? redact(thrown.stack, secrets) : undefined;
  if (thrown.code !== undefined) (copy as Error & { code?: string }).code = redact(thrown.code, secrets);
  return copy;
}

/**
 * `instanceof` that holds across copies of this package in one process (an ESM and a CJS
 * build, two installed versions, a bundled copy beside an installed one), as undici's
 * errors do: each class has a brand, every instance answers with its classes' brands under
 * a `Symbol.for` key, and `instanceof` reads that before the prototype chain. Brands are
 * explicit strings, so minified class names cannot make two copies disagree.
 */
const BRANDS = Symbol.for('aws-sigv4-connection.error-brands');

/**
 * Makes `carrier` (another library's error standing in for ours, as the clients' own
 * RequestAbortedError does where only it keeps a node alive) answer `instanceof` as `ours`
 * does: `carrier instanceof ConfigurationError` holds, its own class too.
 */
export function carryBrands(carrier: Error, ours: AwsSigV4Error): void {
  Object.defineProperty(carrier, BRANDS, { value: ours[BRANDS], enumerable: false, configurable: true });
}

function brandsOf(value: object): readonly string[] | undefined {
  const brands = (value as { [BRANDS]?: unknown })[BRANDS];
  return Array.isArray(brands) ? brands : undefined;
}

export class AwsSigV4Error extends Error {
  static readonly brand: string = 'AwsSigV4Error';
  readonly code: AwsSigV4ErrorCode;

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
    try {
      // A user's subclass without a brand of its own is judged by its prototype chain alone.
      const brands = Object.prototype.hasOwnProperty.call(this, 'brand') ? brandsOf(value) : undefined;
      return brands !== undefined ? brands.includes(this.brand) : Function.prototype[Symbol.hasInstance].call(this, value);
    } catch {
      // A thrown Proxy whose get or getPrototypeOf trap throws (or a revoked one): not ours.
      return false;
    }
  }

  constructor(code: AwsSigV4ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  /** This error's classes' brands, most derived first (not enumerable: never printed). */
  get [BRANDS](): readonly string[] {
    const brands: string[] = [];
    for (let proto = Object.getPrototypeOf(this) as object | null; proto !== null && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
      const brand = (proto.constructor as { brand?: unknown }).brand;
      if (typeof brand === 'string' && !brands.includes(brand)) brands.push(brand);
    }
    return brands;
  }
}

/** Bad options, no region, a URL, method, header or body the signer cannot take, an error answer past the buffering limit (maxBufferedBodyBytes), a peer missing or made for a newer Node. */
export class ConfigurationError extends AwsSigV4Error {
  static override readonly brand: string = 'ConfigurationError';
  declare readonly code: ConfigurationErrorCode;

  constructor(code: ConfigurationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The credential provider threw, returned something that is not an identity, or only expired ones. */
export class CredentialsError extends AwsSigV4Error {
  static override readonly brand: string = 'CredentialsError';
  declare readonly code: CredentialsErrorCode;

  constructor(code: CredentialsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface SignatureRejectedDetails {
  kind: SignatureRejectionKind;
  statusCode: number;
  /** AWS's message, with anything secret-shaped removed. */
  awsMessage: string;
  /** What to check, in one sentence. */
  hint: string;
  method?: string;
  path?: string;
  /** For `es`: the first part of the canonical request that differs from what AWS expected. */
  firstDifference?: string;
  /** The server clock minus ours, in ms, when AWS's `Date` header told it (and within 24 hours: a Date further off is not believed). */
  clockSkewMs?: number;
}

/** AWS refused the signed request (403): which kind of refusal, and what to check. */
export class SignatureRejectedError extends AwsSigV4Error {
  static override readonly brand: string = 'SignatureRejectedError';
  declare readonly code: SignatureRejectedErrorCode;
  readonly kind: SignatureRejectionKind;
  readonly statusCode: number;
  readonly awsMessage: string;
  readonly hint: string;
  readonly method?: string;
  readonly path?: string;
  readonly firstDifference?: string;
  readonly clockSkewMs?: number;

  constructor(details: SignatureRejectedDetails) {
    const where = details.method && details.path ? ` (${details.method} ${details.path})` : '';
    const diff = details.firstDifference ? ` First difference: ${details.firstDifference}.` : '';
    super(
      CODE_BY_KIND[details.kind],
      `AWS rejected the request signature${where}: ${details.kind}. ${details.hint}${diff} AWS said: ${firstLine(details.awsMessage)}`,
    );
    this.kind = details.kind;
    this.statusCode = details.statusCode;
    this.awsMessage = details.awsMessage;
    this.hint = details.hint;
    this.method = details.method;
    this.path = details.path;
    this.firstDifference = details.firstDifference;
    this.clockSkewMs = details.clockSkewMs;
  }
}

const CODE_BY_KIND: Record<SignatureRejectionKind, SignatureRejectedErrorCode> = {
  'signature-mismatch': 'ERR_SIGNATURE_MISMATCH',
  'request-time-expired': 'ERR_REQUEST_TIME_SKEWED',
  'request-time-not-yet-current': 'ERR_REQUEST_TIME_SKEWED',
  'token-expired': 'ERR_TOKEN_EXPIRED',
  'token-invalid': 'ERR_TOKEN_INVALID',
  'missing-authentication': 'ERR_MISSING_AUTHENTICATION',
  'missing-header': 'ERR_MISSING_SIGNED_HEADER',
  'scope-mismatch': 'ERR_SCOPE_MISMATCH',
  'access-denied': 'ERR_ACCESS_DENIED',
  unknown: 'ERR_SIGNATURE_REJECTED',
};

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
