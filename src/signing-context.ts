/**
 * What one signer configuration shares across the requests of every adapter, in any
 * runtime: options, the credential cache and clock offset, endpoint resolution per node,
 * the signing event for debuggers, and the reading of AWS's refusals (retry once after a
 * token refresh or a clock correction, else a typed error). The signing call itself is
 * the subclass's: node:crypto and synchronous in request-signer.ts, WebCrypto and
 * asynchronous in web-request-signer.ts. No Node built-in here.
 */
import { checkIdentity, CredentialCache, maskKey, type CredentialCacheOptions, type CredentialsSource } from './credentials.js';
import { resolveEndpoint } from './endpoint.js';
import { ConfigurationError, describeThrown, redact, redactCanonicalRequest, redactValues, SignatureRejectedError } from './errors.js';
import { readOptions, unreadable } from './read-once.js';
import { classifyRejection, MAX_CLOCK_SKEW_MS } from './rejection.js';
import type { IncrementalSha256 } from './sigv4/crypto.js';
import type { AwsCredentialIdentity, SignableRequest, SignedRequest, SignOptions } from './sigv4/types.js';
import { assertScopePart, numberOrType } from './sigv4/validate.js';
import { parseWireUrl } from './sigv4/wire-url.js';

export interface AwsSigV4Options {
  /** The domain's or collection's region. Default: from the node's host name, else AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string | undefined;
  /** Signing name: 'es' (OpenSearch Service), 'aoss' (Serverless) or any other. Default: from the host name, else 'es'. */
  service?: string | undefined;
  /** A provider from @aws-sdk/credential-providers or a static identity. Default: fromNodeProviderChain(). */
  credentials?: CredentialsSource | undefined;
  /** Sign for (and send as Host) this name while connecting to the node URL: tunnels, SSH port forwards, proxies. */
  host?: string | undefined;
  /** Send a signed x-amz-content-sha256 for every service (always on for 'aoss'). */
  contentSha256?: boolean | undefined;
  /** Stream bodies are buffered to be hashed up to this many bytes; past it the request fails with ERR_BODY_TOO_LARGE. Default 100 MiB. */
  maxBufferedBodyBytes?: number | undefined;
  /** Tuning of the credential cache (refresh margins, retry backoff). */
  credentialCache?: CredentialCacheOptions | undefined;
  /** Retry once, re-signed, after AWS answers that the token expired (refreshing credentials) or that the request time is off (correcting the clock). Default true. */
  retryAuthErrors?: boolean | undefined;
  /** Called for every signed request, with secrets removed: for debugging 403s. Also published on diagnostics_channel `aws-sigv4-connection:sign`. */
  onSign?: ((event: SigningEvent) => void) | undefined;
}

/** A signed request as a debugger needs it, never with a secret, token or signature. */
export interface SigningEvent {
  method: string;
  url: string;
  host: string;
  region: string;
  service: string;
  accessKeyId: string;
  amzDate: string;
  signedHeaders: string;
  canonicalRequest: string;
  stringToSign: string;
  /** 0 for the first try, 1 for our one re-signed retry after a token refresh or clock correction. */
  attempt: number;
}

export interface SignInput {
  method: string;
  /** The node's URL (for region, service and Host). */
  nodeUrl: URL;
  /** Path and query exactly as they go on the wire. */
  pathAndQuery: string;
  /** Lower-cased header names, as they will be sent (no host: it is set here). */
  headers: Record<string, string>;
  body: string | Uint8Array | null | undefined;
  payloadHash?: string;
  attempt: number;
  /**
   * A clock correction to sign this attempt with instead of the learned one: onRefusal's for
   * the retry of a refusal for the request's time, not yet confirmed (see confirmClock).
   */
  clockOffsetMs?: number;
}

export interface Signed {
  headers: Record<string, string>;
  signed: SignedRequest;
  credentials: AwsCredentialIdentity;
}

export interface NodeEndpoint { region: string; service: string; host: string }

/** Statuses AWS refuses a signature with (400: a bad x-amz-content-sha256): the answers worth reading for onRefusal(). */
export function isRefusalStatus(statusCode: number | undefined): boolean {
  return statusCode === 403 || statusCode === 401 || statusCode === 400;
}

/** Node URLs whose region, service and Host are remembered (endpoint()). */
const ENDPOINT_CACHE_SIZE = 256;

/** How long credentials fetched because AWS refused the previous ones are not refreshed again for a refusal. */
const REFRESH_ON_REFUSAL_INTERVAL_MS = 60_000;

export abstract class SigningContext {
  readonly options: Readonly<AwsSigV4Options>;
  /** Server clock minus ours, learned from AWS's Date header after a time-skew refusal. */
  clockOffsetMs = 0;
  private readonly cache: CredentialCache;
  private readonly endpoints = new Map<string, NodeEndpoint>();
  /** Whether onSign has thrown yet: warned about once. */
  private onSignThrew = false;
  /** The credentials the last refusal-driven refresh brought, and when: see onRefusal. */
  private refreshedOnRefusal: { credentials: AwsCredentialIdentity; at: number } | undefined;

  /** `defaultCredentials` is called only when the options give none. */
  constructor(options: AwsSigV4Options, defaultCredentials: () => CredentialsSource) {
    this.options = validateOptions(options);
    // Built now, so a malformed static identity or cache option fails when the client is
    // built. Its clock is AWS's as far as we know it, so expiry is judged as AWS will.
    this.cache = new CredentialCache(this.options.credentials ?? defaultCredentials(), {
      now: () => Date.now() + this.clockOffsetMs,
      ...this.options.credentialCache,
    });
  }

  credentialCache(): CredentialCache {
    return this.cache;
  }

  /** Region, service and signed Host for a node; computed once per node's host. */
  endpoint(nodeUrl: URL): NodeEndpoint {
    // By href (URL keeps it as one string: no copy, its hash cached), but by host[:port], all
    // that decides it, when it may hold a user:password, which this cache would keep for
    // util.inspect(client) to print.
    const href = nodeUrl.href;
    const key = href.includes('@') ? nodeUrl.host : href;
    let endpoint = this.endpoints.get(key);
    if (endpoint === undefined) {
      const host = this.options.host ?? nodeUrl.host;
      const resolved = resolveEndpoint(this.options.host ? `https://${this.options.host}` : nodeUrl, {
        region: this.options.region,
        service: this.options.service,
      });
      endpoint = { region: resolved.region, service: resolved.service, host };
      // A client has a few nodes; a signed fetch may be handed any URL (a crawler, a gateway
      // signing for URLs its users send): past this many origins, start over rather than grow.
      if (this.endpoints.size >= ENDPOINT_CACHE_SIZE) this.endpoints.clear();
      this.endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  /** Credentials now: synchronously from the cache, or a promise on a cold or expired cache. */
  credentials(): AwsCredentialIdentity | Promise<AwsCredentialIdentity> {
    return this.credentialCache().get();
  }

  /**
   * An incremental SHA-256 for a body read in chunks, where the runtime's crypto has one
   * (node:crypto): the reader hashes as the bytes come and the signer skips a second pass.
   */
  bodyHash(): IncrementalSha256 | undefined {
    return undefined;
  }

  /** Signs with this configuration: a Signed now (node:crypto) or a promise of one (WebCrypto). */
  abstract sign(input: SignInput, credentials: AwsCredentialIdentity): Signed | Promise<Signed>;

  /**
   * The input of sign(), each field read once: the Connections build it, but sign() is public
   * and a caller's getter or Proxy trap that throws is a typed error, not theirs. The headers
   * stay the caller's object (requestFor sets Host in it); the signer reads them once.
   */
  protected inputOf(input: SignInput): SignInput {
    let read: SignInput;
    try {
      const { method, nodeUrl, pathAndQuery, headers, body, payloadHash, attempt, clockOffsetMs } = input;
      read = { method, nodeUrl, pathAndQuery, headers, body, payloadHash, attempt, clockOffsetMs };
    } catch (error) {
      throw unreadable(error, 'ERR_INVALID_OPTIONS', 'The input of sign()', 'Pass an object of plain values { method, nodeUrl, pathAndQuery, headers, body, attempt }.');
    }
    assertClockOffset(read.clockOffsetMs);
    return read;
  }

  /** The request signRequest takes, with the Host set in `input.headers`. */
  protected requestFor(input: SignInput, endpoint: NodeEndpoint): SignableRequest {
    const headers = input.headers;
    headers.host = endpoint.host;
    return { method: input.method, url: `${input.nodeUrl.protocol}//${endpoint.host}${input.pathAndQuery}`, headers, body: input.body };
  }

  protected optionsFor(input: SignInput, endpoint: NodeEndpoint, credentials: AwsCredentialIdentity): SignOptions {
    const offset = input.clockOffsetMs ?? this.clockOffsetMs;
    return {
      region: endpoint.region,
      service: endpoint.service,
      credentials,
      // Without an offset the signer reads the clock itself (and reuses the second's x-amz-date).
      signingDate: offset === 0 ? undefined : new Date(Date.now() + offset),
      contentSha256: this.options.contentSha256,
      payloadHash: input.payloadHash,
    };
  }

  /** The result of a signing, told to whoever listens first. */
  protected signed(input: SignInput, signed: SignedRequest, credentials: AwsCredentialIdentity, endpoint: NodeEndpoint): Signed {
    if (this.observed()) this.publish(signingEvent(input, signed, credentials, endpoint), credentials);
    return { headers: signed.headers, signed, credentials };
  }

  /** Whether anyone listens for signing events: checked per request, so it must be cheap. */
  protected observed(): boolean {
    return this.options.onSign !== undefined;
  }

  protected publish(event: SigningEvent, credentials: AwsCredentialIdentity): void {
    const onSign = this.options.onSign;
    if (onSign === undefined) return;
    // A debugging hook must never fail the request it watches.
    try {
      onSign(event);
    } catch (error) {
      this.onSignFailed(error, credentials);
    }
  }

  /** Warns once per signer that its onSign threw; the requests go on, whatever was thrown. */
  private onSignFailed(error: unknown, credentials: AwsCredentialIdentity): void {
    if (this.onSignThrew) return;
    this.onSignThrew = true;
    // describeThrown never throws: not for an object without a prototype, nor one whose toString or name getter throws.
    const thrown = describeThrown(error);
    const what = thrown.message === '' ? thrown.name : `${thrown.name}: ${thrown.message}`;
    const message = `aws-sigv4-connection: the onSign callback threw (${redact(what, [credentials.secretAccessKey, credentials.sessionToken]).slice(0, 300)}); ` +
      'the request was sent anyway. Fix the callback; later throws of this signer are not reported.';
    try {
      // Node's process warning where there is one (Node, Bun, Deno); the console elsewhere (Workers, browsers).
      const proc = (globalThis as { process?: { emitWarning?: (message: string, options: { code: string }) => void } }).process;
      if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, { code: 'AWS_SIGV4_ONSIGN_THREW' });
      else console.warn(message);
    } catch {
      // A replaced emitWarning or console that throws: the warning is lost, the request is not.
    }
  }

  /**
   * Reads a refusal. Returns a retry when one re-signed retry can fix it (token refreshed, or
   * the clock corrected: the retry signed with `clockOffsetMs`), the typed error when it is an
   * authentication refusal, or undefined for any other answer (access denied, not found...),
   * which goes back to the client as is.
   */
  async onRefusal(
    response: { statusCode: number; body: string; date?: string; errorType?: string },
    attempt: Signed,
    request: { method: string; path: string; attempt: number },
  ): Promise<Retry | SignatureRejectedError | undefined> {
    const error = classifyRejection({
      statusCode: response.statusCode,
      body: response.body,
      date: response.date,
      errorType: response.errorType,
      method: request.method,
      path: request.path.split('?', 1)[0],
      canonicalRequest: attempt.signed.canonicalRequest,
      secrets: [attempt.credentials.secretAccessKey, attempt.credentials.sessionToken],
    });
    if (error === undefined || error.kind === 'access-denied' || error.kind === 'unknown') return undefined;
    if (this.options.retryAuthErrors !== false && request.attempt === 0) {
      // Credentials that a refresh for a refusal brought a moment ago and that are refused
      // again: another refresh would not help, and a client that can make the server behind
      // answer like AWS (through a proxy) must not turn every request into a provider call.
      const last = this.refreshedOnRefusal;
      const justRefreshed = last !== undefined && last.credentials === attempt.credentials && Date.now() - last.at < REFRESH_ON_REFUSAL_INTERVAL_MS;
      if ((error.kind === 'token-expired' || error.kind === 'token-invalid') && !justRefreshed) {
        const cache = this.credentialCache();
        cache.invalidate(attempt.credentials);
        try {
          // Passing the refused ones: requests refused together share one provider call.
          const fresh = await cache.forceRefresh(attempt.credentials);
          this.refreshedOnRefusal = { credentials: fresh, at: Date.now() };
          // Same key and token as the refused ones: a retry would be refused the same way.
          if (fresh.accessKeyId !== attempt.credentials.accessKeyId || fresh.sessionToken !== attempt.credentials.sessionToken) return RETRY;
        } catch {
          return error;
        }
      }
      // The Date of one answer moves only this request's clock: through the proxy, an answer
      // worded like AWS's could come from a backend a client controls (behind execute-api),
      // and every client's requests would be signed hours off. See confirmClock.
      if (isTimeRefusal(error) && error.clockSkewMs !== undefined) return { retry: true, clockOffsetMs: error.clockSkewMs };
    }
    return error;
  }

  /**
   * A retry signed with a corrected clock got its answer: unless AWS refused its time too, the
   * correction is AWS's, as the service checks a request's time before anything behind it
   * answers, and later requests are signed with it.
   */
  confirmClock(clockOffsetMs: number, rejection: SignatureRejectedError | undefined): void {
    if (rejection === undefined || !isTimeRefusal(rejection)) this.clockOffsetMs = clockOffsetMs;
  }
}

/** One re-signed retry; with a clock correction for it alone when the refusal was about the request's time. */
export interface Retry { retry: true; clockOffsetMs?: number }

const RETRY: Retry = { retry: true };

function isTimeRefusal(error: SignatureRejectedError): boolean {
  return error.kind === 'request-time-expired' || error.kind === 'request-time-not-yet-current';
}

function assertClockOffset(offset: unknown): void {
  if (offset === undefined || (typeof offset === 'number' && Math.abs(offset) <= MAX_CLOCK_SKEW_MS)) return;
  throw new ConfigurationError('ERR_INVALID_OPTIONS', `The input of sign(): clockOffsetMs must be a number of milliseconds within 24 hours either way, got ${numberOrType(offset)}.`);
}

function signingEvent(input: SignInput, signed: SignedRequest, credentials: AwsCredentialIdentity, { region, service, host }: NodeEndpoint): SigningEvent {
  const token = credentials.sessionToken;
  // The token by name and by value; the secret by value too (a query or header a caller wrote it into).
  const scrubbed = (text: string): string => redactValues(redactCanonicalRequest(text, token), [credentials.secretAccessKey]);
  return {
    method: input.method,
    url: scrubbed(`${input.nodeUrl.protocol}//${host}${input.pathAndQuery}`),
    host,
    region,
    service,
    accessKeyId: maskKey(credentials.accessKeyId),
    amzDate: signed.headers['x-amz-date'] ?? '',
    signedHeaders: signed.signedHeaders,
    canonicalRequest: scrubbed(signed.canonicalRequest),
    stringToSign: signed.stringToSign,
    attempt: input.attempt,
  };
}

const KNOWN_OPTIONS = new Set(['region', 'service', 'credentials', 'host', 'contentSha256', 'maxBufferedBodyBytes', 'credentialCache', 'retryAuthErrors', 'onSign']);

function validateOptions(given: AwsSigV4Options): AwsSigV4Options {
  // Copied once, then the copy checked and kept: a getter read twice could hand the signer a value never checked.
  const options = readOptions(given, 'The options of configure()',
    (got) => `AwsSigV4Connection.configure() takes an options object { region?, service?, credentials?, host?, ... }, got ${got}.`);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', `Unknown option ${JSON.stringify(key.slice(0, 60))}. Known options: ${[...KNOWN_OPTIONS].join(', ')}.`);
    }
  }
  for (const key of ['region', 'service'] as const) {
    const value: unknown = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw new ConfigurationError('ERR_INVALID_OPTIONS', `Option "${key}" must be a non-empty string.`);
    assertScopePart(value, key, 'configure()');
  }
  const host = options.host;
  if (host !== undefined) {
    if (typeof host !== 'string' || host === '' || /[\s\0/?#@\\]/.test(host)) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', 'Option "host" is a host name (and optional :port), not a URL: e.g. "vpc-logs-abc.eu-west-1.es.amazonaws.com".');
    }
    // The name is signed and sent as Host: read as fetch and the signer would read it.
    try {
      parseWireUrl(`https://${host}/`);
    } catch (error) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', `Option "host" is not a host name the signer and fetch read alike: ${(error as Error).message}`);
    }
  }
  const c = options.credentials;
  if (c !== undefined && typeof c !== 'function' && (c === null || typeof c !== 'object')) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', 'Option "credentials" must be a credential provider (e.g. fromIni()) or an object { accessKeyId, secretAccessKey, sessionToken? }.');
  }
  for (const key of ['contentSha256', 'retryAuthErrors'] as const) {
    const value: unknown = options[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', `Option "${key}" must be true or false, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : `a ${typeof value}`}.`);
    }
  }
  if (options.onSign !== undefined && typeof options.onSign !== 'function') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `Option "onSign" must be a function (event) => void, got a ${typeof options.onSign}.`);
  }
  if (options.credentialCache !== undefined) {
    options.credentialCache = readOptions(options.credentialCache, 'Option "credentialCache"',
      (got) => `Option "credentialCache" must be an object such as { providerTimeoutMs: 5000 }, got ${got}.`);
  }
  const max = options.maxBufferedBodyBytes;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 0)) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', 'Option "maxBufferedBodyBytes" must be a whole number of bytes.');
  }
  // A static identity is read once, checked and kept sealed, so the options (and whatever holds them) never print it.
  if (c !== undefined && typeof c === 'object') options.credentials = checkIdentity(c);
  return Object.freeze(options);
}
