/**
 * An ECS-style container credentials endpoint on 127.0.0.1, for
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/creds` (loopback is one of
 * the hosts the SDK allows over plain http) and optionally
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN`, which the endpoint then requires in the
 * Authorization header, as the ECS agent and EKS Pod Identity do.
 *
 * It serves `{ AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn }` and rotates
 * them like the agent: the same credentials until less than half of their lifetime is
 * left, then new ones. Each issued set is registered with the verifying stubs, so the
 * stub accepts them until they expire. Nothing secret is logged or recorded.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VerifyProxy, VerifyProxyCredentials } from '../../src/testing/index.js';

export interface ContainerCredentialsOptions {
  /** Lifetime of each issued set. Default 3600. */
  durationSeconds?: number;
  /** Serve new credentials once less than this fraction of the lifetime is left. Default 0.5. */
  rotateWhenLeft?: number;
  /** When set, requests must carry exactly this Authorization header. */
  authorizationToken?: string;
  /** Path served. Default /creds. */
  path?: string;
  proxies?: VerifyProxy[];
}

export interface ContainerCounts {
  requests: number;
  served: number;
  unauthorized: number;
  /** Distinct credential sets issued. */
  rotations: number;
}

export class ContainerCredentialsServer {
  readonly counts: ContainerCounts = { requests: 0, served: 0, unauthorized: 0, rotations: 0 };
  /** Access key ids issued, in order (no secrets). */
  readonly issuedKeys: string[] = [];
  private current: Required<VerifyProxyCredentials> | undefined;
  private readonly proxies: VerifyProxy[];
  private server!: http.Server;
  private base = '';

  private constructor(private readonly options: ContainerCredentialsOptions) {
    this.proxies = [...(options.proxies ?? [])];
  }

  static async start(options: ContainerCredentialsOptions = {}): Promise<ContainerCredentialsServer> {
    const s = new ContainerCredentialsServer(options);
    s.server = http.createServer((req, res) => s.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    s.base = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  /** The value for AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  get fullUri(): string {
    return `${this.base}${this.options.path ?? '/creds'}`;
  }

  addProxy(proxy: VerifyProxy): void {
    this.proxies.push(proxy);
    if (this.current) proxy.addCredentials(this.current);
  }

  /** Forces new credentials at the next request (a rotation before the usual time). */
  rotate(): void {
    this.current = undefined;
  }

  /**
   * Makes the stubs answer "token expired" for the credentials served so far, before the
   * expiration the clients were told (AWS revoking a session, or a clock that is off).
   * With `rotate`, the next request gets new credentials.
   */
  expireServed(rotate = true): void {
    if (this.current) {
      for (const proxy of this.proxies) proxy.addCredentials({ ...this.current, expiration: new Date(Date.now() - 1_000) });
    }
    if (rotate) this.current = undefined;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests++;
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' || path !== (this.options.path ?? '/creds')) {
      return this.json(res, 404, { code: 'NotFound', message: 'not found' });
    }
    const expected = this.options.authorizationToken;
    if (expected !== undefined && !sameText(req.headers.authorization ?? '', expected)) {
      this.counts.unauthorized++;
      return this.json(res, 401, { code: 'Unauthorized', message: 'Authorization header is missing or does not match' });
    }
    const duration = (this.options.durationSeconds ?? 3600) * 1000;
    const left = this.current ? this.current.expiration.getTime() - Date.now() : 0;
    if (this.current === undefined || left < duration * (this.options.rotateWhenLeft ?? 0.5)) {
      this.current = {
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: `IQoJb3JpZ2luX2VjECS${randomBytes(96).toString('base64')}`,
        // Whole seconds, as the agent writes them.
        expiration: new Date(Math.floor((Date.now() + duration) / 1000) * 1000),
      };
      this.counts.rotations++;
      this.issuedKeys.push(this.current.accessKeyId);
      for (const proxy of this.proxies) proxy.addCredentials(this.current);
    }
    this.counts.served++;
    const c = this.current;
    this.json(res, 200, {
      RoleArn: 'arn:aws:iam::123456789012:role/local-task-role',
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      Token: c.sessionToken,
      Expiration: c.expiration.toISOString().replace('.000Z', 'Z'),
    });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const payload = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(payload.length), 'x-request-id': randomUUID() });
    res.end(payload);
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
