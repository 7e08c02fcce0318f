// Server-side SigV4 check, as an AWS front end does it, built on @smithy/signature-v4
// (the AWS SDK's signer) so that it never shares a line with the project's own signer
// in src/sigv4.ts: a bug there cannot hide itself here.
//
// It answers one question: given the bytes of a request as they arrived, would AWS
// accept it, and if not, with which status and body. The answers are listed in
// verify-proxy.ts. Nothing returned here carries a secret key, session token or
// signature, except where AWS itself echoes the canonical request (`es`), which
// holds the x-amz-security-token line exactly as the client sent it.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { ALGORITHM_IDENTIFIER, SignatureV4, getCanonicalHeaders, getCanonicalQuery } from '@smithy/signature-v4';
import type { HeaderBag, HttpRequest, QueryParameterBag, SourceData } from '@smithy/types';

export interface VerifyProxyCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Past this instant (by the stub clock) the credentials are answered as expired. */
  expiration?: Date;
}

export type RejectionVerdict =
  | 'missing-authentication'
  | 'incomplete-signature'
  | 'unsigned-header'
  | 'wrong-scope'
  | 'signature-expired'
  | 'signature-not-yet-current'
  | 'invalid-token'
  | 'expired-token'
  | 'missing-content-sha256'
  | 'content-sha256-mismatch'
  | 'signature-mismatch'
  | 'wrong-host'
  | 'body-too-large';

export type Verdict = 'accepted' | 'passed-through' | RejectionVerdict;

export interface Rejection {
  verdict: RejectionVerdict;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body's message without the echoed canonical request: safe to record. */
  message: string;
}

export interface ReceivedRequest {
  method: string;
  /** The request-target exactly as on the wire: path and query, still percent-encoded. */
  target: string;
  /** Node's `rawHeaders`: names and values alternating, repeats kept. */
  rawHeaders: readonly string[];
  body: Uint8Array;
}

export interface VerifierSettings {
  service: string;
  region: string;
  now: Date;
  expectedHost?: string;
  credentials(accessKeyId: string): VerifyProxyCredentials | undefined;
}

export interface Verification {
  verdict: 'accepted' | RejectionVerdict;
  signedHeaders: string[];
  accessKeyId?: string;
  amzDate?: string;
  rejection?: Rejection;
}

const SKEW_MS = 5 * 60 * 1000;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';

// @smithy/hash-node only exports the generic Hash; SignatureV4 wants a constructor
// taking the HMAC key alone.
class Sha256 extends Hash {
  constructor(secret?: SourceData) {
    super('sha256', secret);
  }
}

// Exposes smithy's canonical request and string to sign: AWS echoes both for `es`,
// and the signature must be made from the very same text.
class Canonicalizer extends SignatureV4 {
  canonicalRequest(request: HttpRequest, headers: HeaderBag, payloadHash: string): string {
    return this.createCanonicalRequest(request, headers, payloadHash);
  }

  stringToSign(longDate: string, scope: string, canonicalRequest: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM_IDENTIFIER);
  }

  // Quirk: getCanonicalQuery gathers pairs in a plain object, where the key
  // "__proto__" sets the prototype instead of adding an entry, and its pairs come out
  // as "[object Object]". Canonicalize that key on its own and splice it in where it
  // sorts; AWS signs it like any other key.
  protected override createCanonicalRequest(request: HttpRequest, headers: HeaderBag, payloadHash: string): string {
    const query = request.query ?? {};
    if (!Object.hasOwn(query, '__proto__')) return super.createCanonicalRequest(request, headers, payloadHash);
    const rest: QueryParameterBag = Object.create(null);
    for (const key of Object.keys(query)) if (key !== '__proto__') rest[key] = query[key];
    const lines = super.createCanonicalRequest({ ...request, query: rest }, headers, payloadHash).split('\n');
    const own = getCanonicalQuery({ ...request, query: { p: query['__proto__'] } })
      .split('&')
      .map((pair) => `__proto__${pair.slice(1)}`);
    const pairs = lines[2] === '' ? [] : lines[2].split('&');
    const at = pairs.findIndex((pair) => pair.slice(0, pair.indexOf('=')) > '__proto__');
    pairs.splice(at < 0 ? pairs.length : at, 0, ...own);
    lines[2] = pairs.join('&');
    return lines.join('\n');
  }
}

/** The authentication parameters of a request, from its Authorization header or from a presigned URL's query. */
interface AuthParameters {
  form: 'header' | 'query';
  credential?: string;
  signedHeaders?: string;
  signature?: string;
  /** The request time as written, and the header it came from (header form). */
  rawDate?: string;
  dateName?: 'x-amz-date' | 'date';
  token?: string;
  /** X-Amz-Expires as written (query form). */
  expires?: string;
}

const PRESIGN_KEY = /^x-amz-(algorithm|signature|credential)$/i;

export async function verifySigV4(req: ReceivedRequest, settings: VerifierSettings): Promise<Verification> {
  const { service } = settings;
  const headers = collectHeaders(req.rawHeaders);
  const authorization = headers.get('authorization');
  const { path, query } = parseTarget(req.target);
  const presigned = Object.keys(query).some((key) => PRESIGN_KEY.test(key));
  if (authorization === undefined && !presigned) return { verdict: 'missing-authentication', signedHeaders: [], rejection: unauthenticated(req.method, service) };
  // Quirk: getCanonicalQuery silently drops X-Amz-Signature (a presigning leftover),
  // so a request carrying it would verify over a query AWS does not see. AWS refuses
  // to mix query and header authentication anyway.
  if (authorization !== undefined && presigned) {
    return incomplete({ signedHeaders: [] }, ['Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified']);
  }

  // Read first-wins, a second copy would be covered by nothing: a client bug that doubles one
  // would pass here, and a front end in between may read the other copy.
  const repeated = authorization !== undefined ? repeatedAuthorization(req.rawHeaders, authorization) : repeatedPresignParameter(query);
  if (repeated !== undefined) return incomplete({ signedHeaders: [] }, [repeated]);

  const auth = authorization !== undefined ? fromAuthorizationHeader(authorization, headers) : fromPresignedQuery(query);
  if (auth.credential === undefined || auth.signature === undefined || auth.signedHeaders === undefined || auth.rawDate === undefined) {
    return incomplete({ signedHeaders: [] }, missingParameters(auth));
  }

  const signedHeaders = auth.signedHeaders.split(';').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const scopeParts = auth.credential.split('/');
  const accessKeyId = scopeParts[0];
  const base = { signedHeaders, accessKeyId };
  if (scopeParts.length !== 5) {
    // Not `base`: what comes before the first "/" of a Credential that cannot be read is no
    // known key id (with the key id and the secret swapped, it is the secret's first part).
    return incomplete({ signedHeaders }, [`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${auth.credential}'`]);
  }

  const signingDate = parseRequestDate(auth.dateName ?? 'x-amz-date', auth.rawDate);
  if (signingDate === undefined) {
    return incomplete(base, [`Date must be in ISO-8601 'basic format'. Got '${auth.rawDate}'. See http://en.wikipedia.org/wiki/ISO_8601`]);
  }
  const amzDate = basicFormat(signingDate);
  const withDate = { ...base, amzDate };
  let expiresMs: number | undefined;
  // Without X-Amz-Expires a presigned URL is held to the request-time window of the header form.
  if (auth.form === 'query' && auth.expires !== undefined) {
    const seconds = Number(auth.expires);
    if (!/^\d+$/.test(auth.expires) || seconds < 1 || seconds > 604800) {
      return incomplete(withDate, [`X-Amz-Expires must be a whole number of seconds from 1 to 604800, got '${auth.expires}'.`]);
    }
    expiresMs = seconds * 1000;
  }

  if (!signedHeaders.includes('host')) {
    return reject(withDate, 'unsigned-header', 403, 'IncompleteSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const unsigned = [...headers.keys()].filter((name) => (name === auth.dateName || name.startsWith('x-amz-')) && !signedHeaders.includes(name));
  if (unsigned.length > 0) {
    return reject(withDate, 'unsigned-header', 403, 'IncompleteSignatureException', `There were headers present in the request which were not signed: ${unsigned.join(', ')}`);
  }

  const [, scopeDate, scopeRegion, scopeService, terminator] = scopeParts;
  const scopeErrors: string[] = [];
  if (scopeDate !== amzDate.slice(0, 8)) {
    scopeErrors.push(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  }
  if (scopeRegion !== settings.region) scopeErrors.push(`Credential should be scoped to a valid region, not '${scopeRegion}'.`);
  if (scopeService !== service) scopeErrors.push(`Credential should be scoped to correct service: '${service}'.`);
  if (terminator !== 'aws4_request') scopeErrors.push(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  if (scopeErrors.length > 0) return reject(withDate, 'wrong-scope', 403, 'InvalidSignatureException', scopeErrors.join(' '));

  const now = settings.now.getTime();
  const skew = signingDate.getTime() - now;
  if (expiresMs !== undefined && now > signingDate.getTime() + expiresMs) {
    return reject(withDate, 'signature-expired', 403, 'InvalidSignatureException',
      `Signature expired: ${basicFormat(new Date(signingDate.getTime() + expiresMs))} is now earlier than ${basicFormat(settings.now)} (X-Amz-Date ${amzDate} + X-Amz-Expires ${expiresMs / 1000} s).`);
  }
  if (expiresMs === undefined && skew < -SKEW_MS) {
    return reject(withDate, 'signature-expired', 403, 'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${basicFormat(new Date(now - SKEW_MS))} (${basicFormat(settings.now)} - 5 min.)`);
  }
  if (skew > SKEW_MS) {
    return reject(withDate, 'signature-not-yet-current', 403, 'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${basicFormat(new Date(now + SKEW_MS))} (${basicFormat(settings.now)} + 5 min.)`);
  }

  const credentials = settings.credentials(accessKeyId);
  if (credentials === undefined || !sameToken(credentials.sessionToken, auth.token)) {
    return reject(withDate, 'invalid-token', 403, 'UnrecognizedClientException', INVALID_TOKEN);
  }
  if (credentials.expiration !== undefined && credentials.expiration.getTime() <= now) {
    return reject(withDate, 'expired-token', 403, 'ExpiredTokenException', EXPIRED_TOKEN);
  }

  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const declaredHash = headers.get('x-amz-content-sha256');
  if (service === 'aoss' && declaredHash === undefined) return { ...withDate, ...aossForbidden('missing-content-sha256') };

  const host = headers.get('host');
  const wrongHost = settings.expectedHost !== undefined && host !== settings.expectedHost;
  const canonicalHeaderValues: HeaderBag = Object.create(null);
  for (const name of signedHeaders) {
    // A signed header that is absent is signed as empty: smithy would drop it from the
    // canonical request altogether.
    canonicalHeaderValues[name] = name === 'host' && wrongHost ? settings.expectedHost ?? '' : headers.get(name) ?? '';
  }
  const signer = new Canonicalizer({ service, region: settings.region, credentials, sha256: Sha256, applyChecksum: false });
  // The query form signs every query parameter but the signature, X-Amz-* ones included (smithy leaves X-Amz-Signature out).
  const request: HttpRequest = { method: req.method, protocol: 'https:', hostname: host ?? '', path, query, headers: canonicalHeaderValues };
  // Quirk: getCanonicalHeaders skips headers that smithy never signs itself
  // (user-agent, expect, cache-control, from, referer, pragma, max-forwards, proxy-*,
  // sec-*, ...) unless they are named as signable. AWS signs whatever the client listed.
  const canonical = getCanonicalHeaders(request, undefined, new Set(signedHeaders));
  const canonicalRequest = signer.canonicalRequest(request, canonical, declaredHash ?? bodyHash);
  const scope = `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`;
  const stringToSign = await signer.stringToSign(amzDate, scope, canonicalRequest);
  const echo = service === 'es'
    ? `\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`
    : '';
  if (wrongHost) return reject(withDate, 'wrong-host', 403, 'InvalidSignatureException', MISMATCH, echo);

  const expected = await signer.sign(stringToSign, { signingDate, signingRegion: scopeRegion, signingService: scopeService });
  if (!sameSecret(expected, auth.signature)) return reject(withDate, 'signature-mismatch', 403, 'InvalidSignatureException', MISMATCH, echo);

  if (declaredHash !== undefined && declaredHash !== bodyHash) {
    return service === 'aoss'
      ? { ...withDate, ...aossForbidden('content-sha256-mismatch') }
      : reject(withDate, 'content-sha256-mismatch', 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return { ...withDate, verdict: 'accepted' };
}

const AUTH_FIELDS: ReadonlySet<string> = new Set(['Credential', 'SignedHeaders', 'Signature']);
const PRESIGN_PARAMETERS: ReadonlySet<string> = new Set(['x-amz-algorithm', 'x-amz-credential', 'x-amz-signedheaders', 'x-amz-signature', 'x-amz-date', 'x-amz-expires', 'x-amz-security-token']);

/** Why an Authorization header is ambiguous (sent twice, or a field of it twice), if it is. */
function repeatedAuthorization(raw: readonly string[], joined: string): string | undefined {
  let lines = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'authorization') lines++;
  if (lines > 1) return `Only one Authorization header is allowed; this request has ${lines}.`;
  const seen = new Set<string>();
  for (const part of joined.slice(joined.indexOf(' ') + 1).split(',')) {
    const name = part.slice(0, part.indexOf('=')).trim();
    if (!AUTH_FIELDS.has(name)) continue;
    if (seen.has(name)) return `Authorization header has the '${name}' parameter more than once.`;
    seen.add(name);
  }
  return undefined;
}

/** Why a presigned query is ambiguous (a signing parameter given twice, in any case), if it is. */
function repeatedPresignParameter(query: QueryParameterBag): string | undefined {
  const counts = new Map<string, number>();
  for (const [key, value] of Object.entries(query)) {
    const name = key.toLowerCase();
    if (!PRESIGN_PARAMETERS.has(name)) continue;
    const total = (counts.get(name) ?? 0) + (Array.isArray(value) ? value.length : 1);
    if (total > 1) return `AWS query-string parameters must include '${key}' only once.`;
    counts.set(name, total);
  }
  return undefined;
}

function fromAuthorizationHeader(authorization: string, headers: Map<string, string>): AuthParameters {
  const fields = parseAuthorization(authorization);
  const dateName = headers.has('x-amz-date') ? 'x-amz-date' : headers.has('date') ? 'date' : undefined;
  return { form: 'header', ...fields, dateName, rawDate: dateName === undefined ? undefined : headers.get(dateName) ?? '', token: headers.get('x-amz-security-token') };
}

function fromPresignedQuery(query: QueryParameterBag): AuthParameters {
  const value = (name: string): string | undefined => {
    const key = Object.keys(query).find((k) => k.toLowerCase() === name);
    const v = key === undefined ? undefined : query[key];
    return v === undefined || v === null ? undefined : Array.isArray(v) ? v[0] : v;
  };
  const algorithm = value('x-amz-algorithm');
  return {
    form: 'query',
    // A presigned URL with another algorithm: as if the credential were absent.
    credential: algorithm === ALGORITHM_IDENTIFIER ? value('x-amz-credential') : undefined,
    signedHeaders: value('x-amz-signedheaders'),
    signature: value('x-amz-signature'),
    rawDate: value('x-amz-date'),
    token: value('x-amz-security-token'),
    expires: value('x-amz-expires'),
  };
}

function missingParameters(auth: AuthParameters): string[] {
  // AWS appends "Authorization=<the header>" to these; it can hold a signature or a
  // Basic password, so it is left out.
  if (auth.form === 'header') {
    return [
      auth.credential === undefined ? "Authorization header requires 'Credential' parameter." : '',
      auth.signature === undefined ? "Authorization header requires 'Signature' parameter." : '',
      auth.signedHeaders === undefined ? "Authorization header requires 'SignedHeaders' parameter." : '',
      auth.rawDate === undefined ? "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header." : '',
    ];
  }
  return [
    auth.credential === undefined ? "AWS query-string parameters must include 'X-Amz-Algorithm' (AWS4-HMAC-SHA256) and 'X-Amz-Credential'." : '',
    auth.signature === undefined ? "AWS query-string parameters must include 'X-Amz-Signature'." : '',
    auth.signedHeaders === undefined ? "AWS query-string parameters must include 'X-Amz-SignedHeaders'." : '',
    auth.rawDate === undefined ? "AWS query-string parameters must include 'X-Amz-Date'." : '',
  ];
}

/** 413 as Amazon OpenSearch Service sends it (note the capital M). */
export function bodyTooLarge(limit: number): Rejection {
  const message = `Request size exceeded ${limit} bytes`;
  return { verdict: 'body-too-large', status: 413, headers: {}, body: JSON.stringify({ Message: message }), message };
}

function reject(
  base: Omit<Verification, 'verdict' | 'rejection'>, verdict: RejectionVerdict, status: number,
  errorType: string, message: string, echo = '',
): Verification {
  return {
    ...base,
    verdict,
    rejection: { verdict, status, headers: { 'x-amzn-errortype': errorType }, body: JSON.stringify({ message: message + echo }), message },
  };
}

function incomplete(base: Omit<Verification, 'verdict' | 'rejection'>, messages: string[]): Verification {
  return reject(base, 'incomplete-signature', 403, 'IncompleteSignatureException', messages.filter(Boolean).join(' '));
}

// An `es` domain whose access policy names IAM principals answers an unsigned request
// as coming from "anonymous"; API Gateway and the other JSON services answer with
// "Missing Authentication Token".
function unauthenticated(method: string, service: string): Rejection {
  if (service === 'es') {
    const action = `es:ESHttp${method.charAt(0).toUpperCase()}${method.slice(1).toLowerCase()}`;
    const message = `User: anonymous is not authorized to perform: ${action} because no resource-based policy allows the ${action} action`;
    return { verdict: 'missing-authentication', status: 403, headers: { 'x-amzn-errortype': 'AccessDeniedException' }, body: JSON.stringify({ Message: message }), message };
  }
  const message = 'Missing Authentication Token';
  return { verdict: 'missing-authentication', status: 403, headers: { 'x-amzn-errortype': 'MissingAuthenticationTokenException' }, body: JSON.stringify({ message }), message };
}

// OpenSearch Serverless refuses a missing or wrong body hash at its gateway, with a
// bare 403 and a hint header rather than a message.
function aossForbidden(verdict: 'missing-content-sha256' | 'content-sha256-mismatch'): { verdict: RejectionVerdict; rejection: Rejection } {
  const body = JSON.stringify({ status: 403, 'request-id': randomUUID(), error: { reason: '403 Forbidden', type: 'Forbidden' } });
  return { verdict, rejection: { verdict, status: 403, headers: { 'x-aoss-response-hint': 'X01:gw-helper-deny' }, body, message: '403 Forbidden (X01:gw-helper-deny)' } };
}

/** Header name (lower case) -> values as received, repeats joined with ',' as SigV4 wants. */
function collectHeaders(raw: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = fromWire(raw[i + 1]);
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  return headers;
}

// Node hands header bytes over as latin1 text, and smithy hashes text as UTF-8: turn
// the bytes back into the UTF-8 text the client signed, when they are UTF-8.
function fromWire(value: string): string {
  if (!/[\x80-\xff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

function parseTarget(target: string): { path: string; query: QueryParameterBag } {
  // Absolute-form targets (sent to proxies) carry the origin in front of the path.
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i.exec(target);
  const local = origin ? target.slice(origin[0].length) || '/' : target;
  const mark = local.indexOf('?');
  const path = mark < 0 ? local : local.slice(0, mark);
  const query: QueryParameterBag = Object.create(null);
  if (mark >= 0) {
    for (const pair of local.slice(mark + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = percentDecode(eq < 0 ? pair : pair.slice(0, eq));
      // Quirk: smithy drops a key whose value is null from the canonical query; a
      // value-less `?v` is signed by AWS as `v=`, so it becomes ''.
      const value = eq < 0 ? '' : percentDecode(pair.slice(eq + 1));
      const previous = query[key];
      query[key] = previous === undefined || previous === null ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    }
  }
  return { path, query };
}

// Like Python's unquote, which botocore clients sign with: `+` stays a plus, and a
// malformed escape stays as it is (smithy then encodes its `%` as %25).
export function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

function parseAuthorization(value: string): { credential?: string; signedHeaders?: string; signature?: string } {
  const space = value.indexOf(' ');
  if (space < 0 || value.slice(0, space) !== ALGORITHM_IDENTIFIER) return {};
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return { credential: fields.get('Credential'), signedHeaders: fields.get('SignedHeaders'), signature: fields.get('Signature') };
}

function parseRequestDate(name: string, value: string): Date | undefined {
  if (name === 'date') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return basicFormat(date) === value ? date : undefined;
}

function basicFormat(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function sameToken(expected: string | undefined, received: string | undefined): boolean {
  if (expected === undefined || received === undefined) return expected === received;
  return sameSecret(expected, received);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
