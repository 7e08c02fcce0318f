/**
 * Reads AWS's 403 answers and says which kind of refusal each one is and what to check.
 * For `es`, whose body carries the canonical request AWS computed, it also names the
 * first part where ours differs.
 */
import { redact, redactCanonicalRequest, redactSignatures, redactValues, SignatureRejectedError, type SignatureRejectionKind } from './errors.js';

const HINTS: Record<SignatureRejectionKind, string> = {
  'signature-mismatch':
    'Check the secret access key, the region and service names, and that nothing (a proxy, a body rewrite) changes the request after signing.',
  'request-time-expired': "The request's time is more than 5 minutes behind AWS's clock: sync this machine's clock (NTP).",
  'request-time-not-yet-current': "The request's time is more than 5 minutes ahead of AWS's clock: sync this machine's clock (NTP).",
  'token-expired': 'The session token expired: the credential provider must refresh it (temporary credentials from STS, SSO, a role).',
  'token-invalid':
    'AWS does not know this access key or session token: check that the key is active, that a session token goes with temporary (ASIA...) keys, and the partition (China, GovCloud).',
  'missing-authentication': 'The request reached AWS unsigned: check that the client uses AwsSigV4Connection and that no proxy drops the Authorization header.',
  'missing-header': 'A header AWS requires was not signed or not sent (host, x-amz-date, x-amz-security-token, or x-amz-content-sha256 for aoss).',
  'scope-mismatch': "The credential scope names the wrong region or service: set `region` and `service` ('es' for domains, 'aoss' for Serverless) in configure().",
  'access-denied':
    'The signature is valid but the identity may not do this: check the domain access policy, fine-grained access control role mapping, or the aoss data access policy.',
  unknown: 'AWS refused the request; see its message.',
};

/**
 * AWS's own sentences, matched at the start of its message: a 400 from the server behind
 * (OpenSearch quoting an unknown query parameter named `ExpiredToken`, an API's own
 * validation message) must not read as a refusal, since a refusal may drop the cached
 * credentials, call the provider and re-send the request. In order: the first match wins.
 */
const AWS_SENTENCES: Array<[RegExp, SignatureRejectionKind]> = [
  [/^the request signature we calculated does not match/i, 'signature-mismatch'],
  [/^signature expired/i, 'request-time-expired'],
  [/^signature not yet current/i, 'request-time-not-yet-current'],
  [/^(?:the security token included in the request is expired|the provided token has expired)/i, 'token-expired'],
  [/^(?:the security token included in the request is invalid|the aws access key id you provided does not exist|the access key id .{0,40} does not exist)/i, 'token-invalid'],
  // Signed, but without a request time, or with an x-amz-* header left out of SignedHeaders:
  // before the generic "Authorization header requires" below, which means unsigned.
  [/^(?:authorization header requires existence of either a 'x-amz-date'|there were headers present in the request which were not signed|'host' or ':authority' must be a 'signedheader')/i, 'missing-header'],
  // What an `es` domain answers a request that carries no signature at all.
  [/^(?:missing authentication token|authorization header requires|user: anonymous is not authorized|'[^']*' not a valid key=value pair)/i, 'missing-authentication'],
  [/^the provided 'x-amz-content-sha256' header/i, 'missing-header'],
  [/^(?:credential should be scoped|date in credential scope does not match)/i, 'scope-mismatch'],
];

/** AWS's error codes (XML `<Code>`, JSON `__type` or `code`, the x-amzn-ErrorType header), where the message did not tell. */
const AWS_CODES: Record<string, SignatureRejectionKind> = {
  SignatureDoesNotMatch: 'signature-mismatch',
  ExpiredToken: 'token-expired',
  ExpiredTokenException: 'token-expired',
  UnrecognizedClientException: 'token-invalid',
  InvalidClientTokenId: 'token-invalid',
  InvalidAccessKeyId: 'token-invalid',
  MissingAuthenticationToken: 'missing-authentication',
  MissingAuthenticationTokenException: 'missing-authentication',
  XAmzContentSHA256Mismatch: 'missing-header',
  AccessDenied: 'access-denied',
  AccessDeniedException: 'access-denied',
};

/** Denials worded by the server behind (OpenSearch's security plugin, IAM's policy text): read on a 403 only. */
const FORBIDDEN: Array<[RegExp, SignatureRejectionKind]> = [
  [/is required but not supplied|must be a 'signedheader'/i, 'missing-header'],
  [/not authorized to perform|no permissions for|security_exception|forbidden|access denied|accessdenied/i, 'access-denied'],
];

/** The message and code inside an AWS error body: JSON (`message`, `Message`, an `error` object's `reason`), XML, or text. */
export function awsError(body: string): { message: string; code?: string } {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const code = [parsed.__type, parsed.code, parsed.Code].find((v): v is string => typeof v === 'string');
    for (const key of ['message', 'Message', 'error']) {
      const value = parsed[key];
      if (typeof value === 'string') return { message: value, code };
      if (value && typeof value === 'object') {
        const reason = (value as { reason?: unknown }).reason;
        return { message: typeof reason === 'string' ? reason : JSON.stringify(value), code };
      }
    }
    return { message: body, code };
  } catch {
    // Not JSON: XML (S3, STS and the query protocols) or plain text from AWS's gateway.
  }
  if (!/^\s*(?:<\?xml[^>]*>\s*)?<(?:Error|ErrorResponse)\b/.test(body)) return { message: body };
  return { message: /<Message>([\s\S]*?)<\/Message>/.exec(body)?.[1] ?? body, code: /<Code>([\s\S]*?)<\/Code>/.exec(body)?.[1] };
}

/** The message inside an AWS error body (`{"message": ...}`, `{"Message": ...}`, XML, or text). */
export function awsMessage(body: string): string {
  return awsError(body).message;
}

/** The kind of refusal an AWS message (and code, where one came) says; on a 403 also the server's own denials. */
export function rejectionKind(message: string, code?: string, statusCode = 403): SignatureRejectionKind {
  const text = message.trimStart();
  for (const [pattern, kind] of AWS_SENTENCES) if (pattern.test(text)) return kind;
  // `ExpiredTokenException:http://internal.amazon.com/...` in x-amzn-ErrorType; `com.amazon...#Code` in __type.
  const bare = code?.split(':', 1)[0]!.split('#').pop();
  if (bare !== undefined && Object.hasOwn(AWS_CODES, bare)) return AWS_CODES[bare]!;
  if (statusCode === 403) for (const [pattern, kind] of FORBIDDEN) if (pattern.test(text)) return kind;
  return 'unknown';
}

/**
 * The largest clock skew a refusal's `Date` header is believed for: 24 hours. AWS accepts a
 * request time within 5 minutes of its clock; real skews are minutes (a stopped NTP) to
 * hours (a clock set in local time instead of UTC: at most 14 hours off, UTC+14 to UTC-12).
 * A Date further off is no clock worth correcting to but a broken or hostile answer (a
 * proxy, a server behind that can answer like AWS): believed, it would put a nonsensical
 * x-amz-date on every later request of the signer. Beyond the bound the refusal keeps no
 * clockSkewMs, so no retry is made on that basis and the typed error is handed on.
 */
export const MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

/** The server clock minus ours, from a response's `Date` header; undefined when absent, unparseable or implausible. */
export function clockSkewOf(date: string | undefined, now = Date.now()): number | undefined {
  if (!date) return undefined;
  const skew = Date.parse(date) - now;
  // NaN (no date Date.parse reads) fails the comparison too.
  return Math.abs(skew) <= MAX_CLOCK_SKEW_MS ? skew : undefined;
}

export interface RejectionContext {
  statusCode: number;
  body: string;
  /** Response `Date` header, to measure the clock skew (believed within MAX_CLOCK_SKEW_MS). */
  date?: string;
  /** Response `x-amzn-ErrorType` header, AWS's code for the refusal where it sends one. */
  errorType?: string;
  method?: string;
  path?: string;
  /** Our canonical request for this attempt, to compare with the one `es` echoes. */
  canonicalRequest?: string;
  /** Values that must never appear in the error (secret, token). */
  secrets?: ReadonlyArray<string | undefined>;
}

/** A SignatureRejectedError for a 403 that is about authentication; undefined for any other answer. */
export function classifyRejection(ctx: RejectionContext): SignatureRejectedError | undefined {
  if (ctx.statusCode !== 403 && ctx.statusCode !== 400 && ctx.statusCode !== 401) return undefined;
  const { message, code } = awsError(ctx.body);
  const kind = rejectionKind(message, ctx.errorType ?? code, ctx.statusCode);
  if (kind === 'unknown' && ctx.statusCode !== 403) return undefined;
  const expected = /The Canonical String for this request should have been\s*'([\s\S]*?)'\s*The String-to-Sign/i.exec(message)?.[1];
  return new SignatureRejectedError({
    kind,
    statusCode: ctx.statusCode,
    awsMessage: redact(message, ctx.secrets),
    hint: HINTS[kind],
    method: ctx.method,
    path: ctx.path,
    firstDifference: expected && ctx.canonicalRequest ? firstDifference(expected, ctx.canonicalRequest) : undefined,
    clockSkewMs: clockSkewOf(ctx.date),
  });
}

/** Names the first part of two canonical requests that differs: method, path, query, a header, signed headers, payload hash. */
export function firstDifference(expected: string, ours: string): string | undefined {
  const a = expected.split('\n');
  const b = ours.split('\n');
  // Layout: method, path, query, header lines..., '', signed headers, payload hash.
  const part = (lines: string[], i: number): string => {
    if (i === 0) return 'method';
    if (i === 1) return 'path encoding (canonical URI)';
    if (i === 2) return 'query string';
    if (i === lines.length - 1) return 'payload hash (the body AWS received differs from the body signed)';
    if (i === lines.length - 2) return 'signed header list';
    const line = lines[i] ?? '';
    const name = line.slice(0, line.indexOf(':'));
    return name ? `header "${name}"` : 'header list';
  };
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return part(a[i] === undefined ? b : a, i);
  }
  return 'none: the canonical request matches, so the signing key differs (secret access key, or the date, region or service of the scope)';
}

/**
 * A refusal body fit to hand on (a proxy passes AWS's answer to its client): the echoed
 * canonical request's token value replaced whole, the token, secret and this attempt's
 * signature by value in every form, and any signature AWS quotes back (S3's
 * `<SignatureProvided>`, an echoed `Signature=`). The rest, string to sign included, is kept
 * for the client to debug with.
 */
export function redactRefusalBody(text: string, credentials: { secretAccessKey?: string; sessionToken?: string }, signature?: string): string {
  return redactSignatures(redactValues(redactCanonicalRequest(text, credentials.sessionToken), [credentials.secretAccessKey, signature]));
}
