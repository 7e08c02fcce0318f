/**
 * A contender is timed only after its output passed a check that shares no code with it:
 * signatures go through the verifying stub's verifier (built on @smithy/signature-v4, and
 * recomputing from the headers as they would arrive, so it also catches a smithy contender
 * that signs something other than what it sends); floors must give the body's sha256.
 */
import { createHash } from 'node:crypto';
import { verifySigV4 } from '../../src/testing/sigv4-verifier.js';
import { CREDENTIALS, HOST, REGION, SERVICE, type BenchRequest } from './bodies.js';
import type { Prepared, WireRequest } from './contenders.js';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

function rawHeaders(headers: Record<string, unknown>): string[] {
  const raw: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) raw.push(name, String(v));
    else raw.push(name, String(value));
  }
  return raw;
}

function bodyBytes(body: string | Uint8Array | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

export async function verifyWire(wire: WireRequest): Promise<CheckResult> {
  const verification = await verifySigV4(
    { method: wire.method, target: wire.target, rawHeaders: rawHeaders(wire.headers), body: bodyBytes(wire.body) },
    {
      service: SERVICE,
      region: REGION,
      now: new Date(),
      // A signer that signs `host:port` or another name would pass a lenient check and fail at AWS.
      expectedHost: HOST,
      credentials: (id) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS : undefined),
    },
  );
  if (verification.verdict === 'accepted') return { ok: true, detail: `accepted (signed: ${verification.signedHeaders.join(';')})` };
  return { ok: false, detail: `${verification.verdict}: ${verification.rejection?.message ?? ''}` };
}

export async function check(prepared: Prepared, req: BenchRequest): Promise<CheckResult> {
  try {
    const out = await prepared.check();
    if (out.digest !== undefined) {
      const expected = out.expected ?? createHash('sha256').update(bodyBytes(req.body)).digest('hex');
      return out.digest === expected ? { ok: true, detail: 'digest matches' } : { ok: false, detail: `digest ${out.digest} != ${expected}` };
    }
    if (out.wire === undefined) return { ok: false, detail: 'no output' };
    return await verifyWire(out.wire);
  } catch (error) {
    return { ok: false, detail: `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
  }
}
