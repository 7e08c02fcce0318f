/**
 * A kept-alive upstream socket that the target closed just as a request reused it (the
 * target's idle timeout and our request crossing) fails that request with a reset before
 * any answer. Node's http docs advise sending it again on a new socket; both forwarders
 * (the signing proxy and the verifying stub) do so, once, with the same bytes.
 */
import type { ClientRequest } from 'node:http';

const STALE_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Whether `error` on `request` is that crossing, and so worth one more try. */
export function isStaleSocketError(request: ClientRequest, error: NodeJS.ErrnoException, answered: boolean): boolean {
  return !answered && request.reusedSocket && STALE_SOCKET_CODES.has(error.code ?? '');
}
