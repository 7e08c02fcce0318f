/**
 * Reads AWS's 403 answers and says which kind of refusal each one is and what to check.
 * For `es`, whose body carries the canonical request AWS computed, it also names the
 * first part where ours differs.
 */
import { redact, redactCanonicalRequest, redactValues, SignatureRejectedError, type SignatureRejectionKind } from './errors.js';

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

const PATTERNS: Array<[RegExp, SignatureRejectionKind]> = [
  [/signature we calculated does not match/i, 'signature-mismatch'],
  [/signature expired/i, 'request-time-expired'],
  [/signature not yet current/i, 'request-time-not-yet-current'],
  [/security token included in the request is expired|expiredtoken/i, 'token-expired'],
  [/security token included in the request is invalid|invalidclienttokenid|unrecognizedclient|access key id .* does not exist/i, 'token-invalid'],
  // Signed, but without a request time, or with an x-amz-* header left out of SignedHeaders:
  // checked before the generic "Authorization header requires" below, which means unsigned.
  [/requires existence of either a 'x-amz-date'|headers present in the request which were not signed/i, 'missing-header'],
  // What an `es` domain answers a request that carries no signature at all.
  [/missing authentication token|authorization header requires|not a valid key=value pair|missing authentication|user: anonymous is not authorized/i, 'missing-authentication'],
  [/must be a 'signedheader'|requires .* header|is required but not supplied|x-amz-content-sha256/i, 'missing-header'],
  [/credential should be scoped/i, 'scope-mismatch'],
  [/not authorized to perform|no permissions for|security_exception|forbidden|access denied|accessdenied/i, 'access-denied'],
];

/** The message inside an AWS error body (`{"message": ...}`, `{"Message": ...}`, or text). */
export function awsMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    for (const key of ['message', 'Message', 'error']) {
      const value = parsed[key];
      if (typeof value === 'string') return value;
      if (value && typeof value === 'object') return JSON.stringify(value);
    }
  } catch {
    // Not JSON: AWS's gateway answers some refusals in plain text.
  }
  return body;
}

export function rejectionKind(message: string): SignatureRejectionKind {
  for (const [pattern, kind] of PATTERNS) if (pattern.test(message)) return kind;
  return 'unknown';
}

export interface RejectionContext {
  statusCode: number;
  body: string;
  /** Response `Date` header, to measure the clock skew. */
  date?: string;
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
  const message = awsMessage(ctx.body);
  const kind = rejectionKind(message);
  if (kind === 'unknown' && ctx.statusCode !== 403) return undefined;
  const serverTime = ctx.date ? Date.parse(ctx.date) : NaN;
  const expected = /The Canonical String for this request should have been\s*'([\s\S]*?)'\s*The String-to-Sign/i.exec(message)?.[1];
  return new SignatureRejectedError({
    kind,
    statusCode: ctx.statusCode,
    awsMessage: redact(message, ctx.secrets),
    hint: HINTS[kind],
    method: ctx.method,
    path: ctx.path,
    firstDifference: expected && ctx.canonicalRequest ? firstDifference(expected, ctx.canonicalRequest) : undefined,
    clockSkewMs: Number.isNaN(serverTime) ? undefined : serverTime - Date.now(),
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
 * canonical request's token value replaced whole, and the token and secret by value in
 * every form. The rest, string to sign included, is kept for the client to debug with.
 */
export function redactRefusalBody(text: string, credentials: { secretAccessKey?: string; sessionToken?: string }): string {
  return redactValues(redactCanonicalRequest(text, credentials.sessionToken), [credentials.secretAccessKey]);
}
