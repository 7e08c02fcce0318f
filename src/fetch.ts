/**
 * `createSignedFetch`: the global `fetch`, signed with SigV4, for any AWS service that takes
 * IAM-signed HTTP (API Gateway `execute-api`, Lambda function URLs, OpenSearch). Same
 * options, credential cache, retries and errors as the Connections; the checks of its
 * inputs and the redirect policy are signed-fetch.ts's, shared with the web entry.
 */
import { RequestSigner, type AwsSigV4Options } from './request-signer.js';
import { exchange, type Reply } from './exchange/exchange.js';
import type { BodyInput } from './exchange/body.js';
import { checkedFetch, fetchCall, nextHop, type SignedFetch } from './signed-fetch.js';

export type { SignedFetch } from './signed-fetch.js';

export interface SignedFetchOptions extends AwsSigV4Options {
  /** The fetch to sign for; default the global one (Node 18+). */
  fetch?: typeof fetch;
}

/** Redirects: see nextHop in signed-fetch.ts (same-origin hops followed, re-signed; others returned). */
export function createSignedFetch(options: SignedFetchOptions = {}): SignedFetch {
  const { fetch: given, ...signerOptions } = options;
  const baseFetch = checkedFetch(given, signerOptions.host);
  const signer = new RequestSigner(signerOptions);

  return async function signedFetch(input, init = {}) {
    const call = fetchCall(input, init);
    const { request, headers, signal, mode } = call;
    let { url, method } = call;
    let body = (init.body ?? request?.body ?? undefined) as BodyInput;
    for (let hop = 0; ; hop++) {
      const { response, rejection } = await exchange<Response>({
        signer,
        method,
        nodeUrl: new URL(url.origin),
        pathAndQuery: `${url.pathname}${url.search}`,
        headers,
        body,
        // fetch itself rejects with the signal's reason (an AbortError by default), at once when already aborted.
        guard: { signal, aborted: abortError, timedOut: () => abortError(undefined) },
        prepare: (h, read) => {
          if (read.contentType !== undefined && h['content-type'] === undefined) h['content-type'] = read.contentType;
          // Read once: a re-signed retry or a followed redirect sends the same bytes.
          body = read.body;
        },
        send: async (signed) => {
          // fetch sets Host itself, from the URL (the signer used the same value); a custom
          // fetch given with the `host` option gets the signed one.
          const { host: _host, ...send } = signed.headers;
          if (signerOptions.host !== undefined) send.host = signed.headers.host!;
          const response = await baseFetch(url, { ...init, method, headers: send, body: signed.body as BodyInit | undefined, signal, redirect: 'manual' });
          return replyOf(response);
        },
      });
      if (rejection !== undefined) throw rejection;
      const next = nextHop(response, url, method, mode, hop, headers);
      if (next === undefined) return response;
      await response.body?.cancel();
      ({ url, method } = next);
      if (next.dropBody) body = undefined;
    }
  };
}

function abortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

function replyOf(response: Response): Reply<Response> {
  return {
    statusCode: response.status,
    header: (name) => response.headers.get(name) ?? undefined,
    response,
    consume: async () => ({ text: await response.clone().text(), response }),
  };
}
