/**
 * A small AWS STS on 127.0.0.1 for the credential-provider tests: `AssumeRole` and
 * `AssumeRoleWithWebIdentity` over the query protocol (form body or query string, API
 * version 2011-06-15), answering XML as the real service does. It issues short-lived
 * credentials (20 s by default; real STS will not go under 900 s, this is a test double)
 * and registers each with the verifying stubs, so the stub accepts them until they
 * expire and answers "token expired" after.
 *
 * `AssumeRole` must be SigV4-signed for service `sts` by a known identity (the source
 * profile's keys, or credentials this STS issued, for role chaining): it is checked with
 * the project's verifier (@smithy/signature-v4, not our signer), so a provider that signs
 * wrongly, or with the wrong keys, is refused like AWS would refuse it.
 * `AssumeRoleWithWebIdentity` is unsigned, as in AWS; its token must be one we accept.
 *
 * Nothing here logs or records a secret, a session token or a web identity token.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VerifyProxy, VerifyProxyCredentials } from '../../src/testing/index.js';
import { verifySigV4 } from '../../src/testing/sigv4-verifier.js';

export type StsAction = 'AssumeRole' | 'AssumeRoleWithWebIdentity';

export interface StsFailure {
  status: number;
  code: string;
  message: string;
}

export interface LocalStsOptions {
  /** Lifetime of issued credentials, whatever DurationSeconds asks. Default 20. */
  durationSeconds?: number;
  /** Long-term identities allowed to call AssumeRole (the source profile's keys). */
  callers?: VerifyProxyCredentials[];
  /** Web identity tokens AssumeRoleWithWebIdentity accepts. */
  webIdentityTokens?: string[];
  /** Region the AssumeRole signatures must be scoped to. Default us-east-1. */
  region?: string;
  /** Stubs that must accept every issued credential. */
  proxies?: VerifyProxy[];
  /** Injected failures: return one to answer the n-th call (1-based, all actions) with it. */
  fail?: (n: number, action: StsAction) => StsFailure | undefined;
  /** Answer this much later: a real STS round trip, so a caller that waits for a refresh shows it. Default 0. */
  delayMs?: number;
}

/** What was issued, without the secret or the token. */
export interface IssuedRecord {
  action: StsAction;
  accessKeyId: string;
  roleArn: string;
  sessionName: string;
  expiration: Date;
  /** The caller's access key (AssumeRole) or the token's subject (web identity). */
  caller: string;
}

export interface StsCounts {
  /** Every request that reached the STS. */
  requests: number;
  AssumeRole: number;
  AssumeRoleWithWebIdentity: number;
  /** Refused: bad signature, unknown key, bad token, unsupported action, injected failure. */
  refused: number;
  injectedFailures: number;
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ACCOUNT = '123456789012';

export class LocalSts {
  readonly issued: IssuedRecord[] = [];
  readonly counts: StsCounts = { requests: 0, AssumeRole: 0, AssumeRoleWithWebIdentity: 0, refused: 0, injectedFailures: 0 };
  private readonly callers = new Map<string, VerifyProxyCredentials>();
  private readonly tokens: Set<string>;
  private readonly proxies: VerifyProxy[];
  private server!: http.Server;
  private base = '';
  durationSeconds: number;
  delayMs: number;
  fail: LocalStsOptions['fail'];

  private constructor(private readonly options: LocalStsOptions) {
    this.durationSeconds = options.durationSeconds ?? 20;
    for (const c of options.callers ?? []) this.callers.set(c.accessKeyId, { ...c });
    this.tokens = new Set(options.webIdentityTokens ?? []);
    this.proxies = [...(options.proxies ?? [])];
    this.fail = options.fail;
    this.delayMs = options.delayMs ?? 0;
  }

  static async start(options: LocalStsOptions = {}): Promise<LocalSts> {
    const sts = new LocalSts(options);
    sts.server = http.createServer((req, res) => {
      sts.handle(req, res).catch(() => {
        if (!res.headersSent) sts.error(res, 500, 'InternalFailure', 'local STS internal error');
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      sts.server.once('error', reject);
      sts.server.listen(0, '127.0.0.1', () => resolve());
    });
    sts.base = `http://127.0.0.1:${(sts.server.address() as AddressInfo).port}`;
    return sts;
  }

  /** e.g. http://127.0.0.1:41234 (for AWS_ENDPOINT_URL_STS or clientConfig.endpoint). */
  get url(): string {
    return this.base;
  }

  addProxy(proxy: VerifyProxy): void {
    this.proxies.push(proxy);
  }

  addCaller(credentials: VerifyProxyCredentials): void {
    this.callers.set(credentials.accessKeyId, { ...credentials });
  }

  addWebIdentityToken(token: string): void {
    this.tokens.add(token);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counts.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const target = req.url ?? '/';
    const query = new URL(target, 'http://sts.invalid').searchParams;
    const form = new URLSearchParams(body.toString('utf8'));
    const param = (name: string): string | undefined => form.get(name) ?? query.get(name) ?? undefined;

    const action = param('Action');
    if (param('Version') !== '2011-06-15') {
      return this.refuse(res, 400, 'InvalidAction', `Could not find operation ${action ?? ''} for version ${param('Version') ?? 'NO_VERSION_SPECIFIED'}`);
    }
    if (action !== 'AssumeRole' && action !== 'AssumeRoleWithWebIdentity') {
      return this.refuse(res, 400, 'InvalidAction', `Could not find operation ${action ?? ''} for version 2011-06-15`);
    }
    this.counts[action]++;
    const injected = this.fail?.(this.counts.AssumeRole + this.counts.AssumeRoleWithWebIdentity, action);
    if (injected) {
      this.counts.injectedFailures++;
      return this.refuse(res, injected.status, injected.code, injected.message);
    }

    const roleArn = param('RoleArn');
    const sessionName = param('RoleSessionName');
    if (!roleArn || !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn)) {
      return this.refuse(res, 400, 'ValidationError', '1 validation error detected: Value at \'roleArn\' failed to satisfy constraint');
    }
    if (!sessionName || !/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      return this.refuse(res, 400, 'ValidationError', '1 validation error detected: Value at \'roleSessionName\' failed to satisfy constraint');
    }

    let caller: string;
    if (action === 'AssumeRole') {
      const verdict = await verifySigV4({ method: req.method ?? 'GET', target, rawHeaders: req.rawHeaders, body }, {
        service: 'sts',
        region: this.options.region ?? 'us-east-1',
        now: new Date(),
        credentials: (id) => this.callers.get(id),
      });
      if (verdict.rejection) return this.refuse(res, ...stsError(verdict.verdict, verdict.rejection.message));
      caller = verdict.accessKeyId!;
    } else {
      const token = param('WebIdentityToken');
      if (req.headers.authorization !== undefined) {
        // AWS takes either; the SDK sends this call unsigned, and so must a provider that works without credentials.
        return this.refuse(res, 400, 'InvalidParameterValue', 'AssumeRoleWithWebIdentity is expected unsigned by this test STS');
      }
      if (!token || !this.tokens.has(token)) {
        return this.refuse(res, 400, 'InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements");
      }
      caller = `web-identity-subject-${[...this.tokens].indexOf(token)}`;
    }

    const credentials = this.issue();
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    this.issued.push({ action, accessKeyId: credentials.accessKeyId, roleArn, sessionName, expiration: credentials.expiration, caller });
    for (const proxy of this.proxies) proxy.addCredentials(credentials);
    // Issued credentials may assume another role (role chaining), as in AWS.
    this.callers.set(credentials.accessKeyId, credentials);

    const requestId = randomUUID();
    const inner = [
      action === 'AssumeRoleWithWebIdentity' ? `<SubjectFromWebIdentityToken>${caller}</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience><Provider>local-oidc.invalid</Provider>` : '',
      '<AssumedRoleUser>',
      `<Arn>arn:aws:sts::${ACCOUNT}:assumed-role/${xml(roleName)}/${xml(sessionName)}</Arn>`,
      `<AssumedRoleId>AROA${randomId(16)}:${xml(sessionName)}</AssumedRoleId>`,
      '</AssumedRoleUser>',
      '<Credentials>',
      `<AccessKeyId>${credentials.accessKeyId}</AccessKeyId>`,
      `<SecretAccessKey>${xml(credentials.secretAccessKey)}</SecretAccessKey>`,
      `<SessionToken>${xml(credentials.sessionToken)}</SessionToken>`,
      `<Expiration>${credentials.expiration.toISOString().replace('.000Z', 'Z')}</Expiration>`,
      '</Credentials>',
      action === 'AssumeRole' ? '<PackedPolicySize>6</PackedPolicySize>' : '',
    ].join('');
    this.send(res, 200,
      `<${action}Response xmlns="${XMLNS}"><${action}Result>${inner}</${action}Result>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>\n`,
      requestId);
  }

  private issue(): Required<VerifyProxyCredentials> {
    // Whole seconds, as STS answers them: the stub expires them at exactly what the client reads.
    const expiration = new Date(Math.floor(Date.now() / 1000) * 1000 + this.durationSeconds * 1000);
    return {
      accessKeyId: `ASIA${randomId(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`,
      expiration,
    };
  }

  private refuse(res: ServerResponse, status: number, code: string, message: string): void {
    this.counts.refused++;
    this.error(res, status, code, message);
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    const requestId = randomUUID();
    this.send(res, status,
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>\n`,
      requestId);
  }

  private send(res: ServerResponse, status: number, text: string, requestId: string): void {
    const payload = Buffer.from(text);
    res.writeHead(status, { 'content-type': 'text/xml', 'content-length': String(payload.length), 'x-amzn-requestid': requestId, date: new Date().toUTCString() });
    res.end(payload);
  }
}

/** STS's own codes for the refusals the verifier can give. */
function stsError(verdict: string, message: string): [number, string, string] {
  switch (verdict) {
    case 'missing-authentication': return [403, 'MissingAuthenticationToken', 'Request is missing Authentication Token'];
    case 'invalid-token': return [403, 'InvalidClientTokenId', message];
    case 'expired-token': return [400, 'ExpiredToken', message];
    case 'signature-mismatch': return [403, 'SignatureDoesNotMatch', message];
    case 'signature-expired':
    case 'signature-not-yet-current': return [403, 'SignatureDoesNotMatch', message];
    case 'wrong-scope': return [403, 'SignatureDoesNotMatch', message];
    default: return [400, 'IncompleteSignature', message];
  }
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
