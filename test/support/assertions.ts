/**
 * Checks the client-family suites (opensearch, elasticsearch) share: a refused signature
 * reaches the caller typed and without secrets, and the pool's resurrection ping is signed.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { inspect } from 'node:util';
import { signatureRejectionOf, SignatureRejectedError } from '../../src/index.js';
import type { VerifyProxy } from '../../src/testing/index.js';

export const WRONG_SECRET = 'wrong/Secret+Value0000000000000000000000';

/** What a logger that copies own enumerable properties at every depth writes (pino, winston's errors format, @elastic/transport's redactObject). */
function enumerableStrings(root: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') out.push(value);
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    for (const key of Object.keys(value)) {
      let inner: unknown;
      try { inner = (value as Record<string, unknown>)[key]; } catch { continue; }
      walk(inner);
    }
  };
  walk(root);
  return out;
}

/** Every way a value is printed or copied, at any depth: inspect (with and without hidden properties), JSON, a logger's walk. */
export function printedForms(value: unknown): string {
  let json = '';
  try { json = JSON.stringify(value) ?? ''; } catch { /* circular: JSON prints nothing */ }
  return [inspect(value, { depth: Infinity }), inspect(value, { depth: Infinity, showHidden: true }), json, ...enumerableStrings(value)].join('\n');
}

const SIGNATURE = /Signature=[0-9a-f]{64}/;

/** Neither value (secret key, session token) nor a signature is in `text`. */
export function assertNothingOfOurs(where: string, text: string, ...values: string[]): void {
  for (const value of values) assert.ok(!text.includes(value), `${where}: a credential value is printed`);
  assert.ok(!SIGNATURE.test(text), `${where}: a signature is printed`);
}

/** Every way an error is shown: message, stack, inspect, JSON. */
export function assertNoSecret(error: Error, ...secrets: string[]): void {
  for (const text of [error.message, String(error.stack), inspect(error, { depth: 5 }), JSON.stringify(error)]) {
    for (const secret of secrets) assert.ok(!text.includes(secret), 'no secret in the error');
  }
}

/**
 * `run` signs with a wrong secret: it must fail once with the client's own ResponseError
 * (the 403, as the stock Connection gives it) carrying the classified mismatch, no secret in either.
 */
export async function assertSignatureMismatch(run: () => Promise<unknown>, ...secrets: string[]): Promise<SignatureRejectedError> {
  const thrown = await run().then(() => undefined, (e: unknown) => e);
  assert.ok(thrown instanceof Error && thrown.name === 'ResponseError', `got ${String(thrown)}`);
  const error = signatureRejectionOf(thrown);
  assert.ok(error instanceof SignatureRejectedError, `no classification on ${String(thrown)}`);
  assert.equal(error.kind, 'signature-mismatch');
  assert.equal(error.code, 'ERR_SIGNATURE_MISMATCH');
  assertNoSecret(error, ...secrets);
  for (const text of [thrown.message, inspect(thrown, { depth: 8 })]) {
    for (const secret of secrets) assert.ok(!text.includes(secret), 'no secret in the client error');
  }
  return error;
}

type PingableConnection = { request: (params: object, callback: (e: Error | null, r: http.IncomingMessage | null) => void) => void };

/** The pool's resurrection ping goes straight to the connection: HEAD / must be signed and accepted. */
export async function assertResurrectionPingSigned(client: { connectionPool: unknown }, proxy: VerifyProxy): Promise<void> {
  const pool = client.connectionPool as { connections: PingableConnection[] };
  const status = await new Promise<number>((resolve, reject) => {
    pool.connections[0]!.request({ method: 'HEAD', path: '/', timeout: 3000 }, (error, response) => {
      if (error) return reject(error);
      response!.resume();
      resolve(response!.statusCode!);
    });
  });
  assert.equal(status, 200);
  const record = proxy.records.at(-1)!;
  assert.equal(record.method, 'HEAD');
  assert.equal(record.verdict, 'accepted');
}
