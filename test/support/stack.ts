/**
 * The integration-test stack: a real search server (test/support/servers.ts) behind the
 * verifying stub (src/testing), which checks every signature with @smithy/signature-v4,
 * never with our own signer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerifyProxy, type VerifyProxyOptions } from '../../src/testing/index.js';
import { useSearchServer } from './servers.js';

/** Test-only identity the stub knows; not an AWS secret. */
export const TEST_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKIDSTACKTEST0000001',
  secretAccessKey: 'stack/Test+Secret/0123456789abcdefghijklmn',
});

export const TLS = {
  key: readFileSync(join(__dirname, '..', 'fixtures', 'tls', 'key.pem')),
  cert: readFileSync(join(__dirname, '..', 'fixtures', 'tls', 'cert.pem')),
};

export interface StackOptions {
  /** A server spec (`opensearch@3`...); without it the stub answers 200 `{}` itself. */
  server?: string;
  service?: string;
  region?: string;
  stub?: Partial<VerifyProxyOptions>;
}

export interface Stack {
  stubUrl: string;
  serverUrl: string | undefined;
  proxy: VerifyProxy;
  credentials: typeof TEST_CREDENTIALS;
  region: string;
  service: string;
}

/** Registers mocha hooks that start (and stop) a server and a stub in front of it. */
export function useSignedStack(options: StackOptions = {}): () => Stack {
  const server = options.server ? useSearchServer(options.server) : undefined;
  const region = options.region ?? 'us-east-1';
  const service = options.service ?? 'es';
  let proxy: VerifyProxy | undefined;
  before(async function () {
    proxy = await startStub({ target: server?.().url, service, region, ...options.stub });
  });
  after(async () => {
    await proxy?.close();
  });
  return () => {
    if (proxy === undefined) throw new Error('the stack is not started (use it inside it()/before())');
    return { stubUrl: proxy.url, serverUrl: server?.().url, proxy, credentials: TEST_CREDENTIALS, region, service };
  };
}

export function startStub(options: Partial<VerifyProxyOptions> = {}): Promise<VerifyProxy> {
  return VerifyProxy.start({ service: 'es', region: 'us-east-1', credentials: [{ ...TEST_CREDENTIALS }], ...options });
}
