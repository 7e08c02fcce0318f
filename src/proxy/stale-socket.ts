/**
 * A kept-alive upstream socket that the target closed just as a request reused it (the
 * target's idle timeout and our request crossing) fails that request with a reset before
 * any answer. Node's http docs advise sending it again on a new socket; both forwarders
 * (the signing proxy and the verifying stub) do so, once, with the same bytes, but only
 * when running it twice is safe (resend-policy.ts): the target may have run it before it
 * closed.
 */
import type { ClientRequest } from 'node:http';
import { mayResend } from './resend-policy.js';

const STALE_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Whether `error` on `request` is that crossing, and so worth one more try. */
export function isStaleSocketError(request: ClientRequest, error: NodeJS.ErrnoException, answered: boolean): boolean {
  return !answered && request.reusedSocket && STALE_SOCKET_CODES.has(error.code ?? '');
}

/** The request that met `error`: what it was, for the resend policy. */
export interface SentRequest {
  method: string;
  pathAndQuery: string;
  /** Its Idempotency-Key header, if any. */
  idempotencyKey: string | undefined;
}

/**
 * What to do about `error` on `request`: undefined when it is no stale-socket crossing (a
 * failure to report as such), else whether to send it once more or answer notResentMessage.
 */
export function staleSocketOutcome(request: ClientRequest, error: NodeJS.ErrnoException, answered: boolean, sent: SentRequest): 'resend' | 'not-resent' | undefined {
  if (!isStaleSocketError(request, error, answered)) return undefined;
  return mayResend(sent.method, sent.pathAndQuery, { 'idempotency-key': sent.idempotencyKey }) ? 'resend' : 'not-resent';
}

/** Why a request that met a stale socket was answered 502, not sent again. */
export function notResentMessage(origin: string, method: string): string {
  return `${origin} closed a reused keep-alive connection before answering this ${method}, and it was not sent again because the target may have applied it already ` +
    '(only idempotent methods, read-only search APIs and requests with an Idempotency-Key header are resent). Check whether it took effect before sending it again.';
}
