/**
 * `request`'s one signed exchange: the CLI's shapes (a URL, --data bytes or stdin, the
 * response to print) translated onto the exchange (../exchange/exchange.ts), which signs,
 * reads the body, classifies a refusal and re-signs once when that can fix it.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { firstHeader, readRefusal } from '../adapters/shared.js';
import type { SignatureRejectedError } from '../errors.js';
import type { BodyInput } from '../exchange/body.js';
import { sentValuesScrub } from '../exchange/answer-scrub.js';
import { exchange, type Reply, type SignedAttempt } from '../exchange/exchange.js';
import type { RequestSigner } from '../request-signer.js';

export interface SignedRequest {
  signer: RequestSigner;
  url: URL;
  method: string;
  pathAndQuery: string;
  headers: Record<string, string>;
  body: BodyInput;
}

export interface SignedResponse {
  /** Its body still to be read, unless `text` is set. */
  response: IncomingMessage;
  /** Its raw headers, cleaned to print: of an error answer as its body, of another of the token and signature sent. */
  rawHeaders: string[];
  /** Set for a refusal (read whole to be classified): its text, our secret and token removed. */
  text?: string;
  /** Set when the refusal is about the signature, classified, and no retry could fix it. */
  rejection?: SignatureRejectedError;
}

/** Signed and sent whole: the length is the body's, whatever a -H said. */
export function withBodyLength(headers: Record<string, string>, body: string | Uint8Array | undefined): Record<string, string> {
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return headers;
}

export async function sendSigned(request: SignedRequest): Promise<SignedResponse> {
  const { signer, url, method, pathAndQuery } = request;
  const agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  try {
    const { response, rejection } = await exchange<SignedResponse>({
      signer, method, nodeUrl: new URL(url.origin), pathAndQuery, headers: request.headers, body: request.body,
      // Nothing aborts a CLI request but the process ending, and it has no timeout option.
      guard: { aborted: () => new Error('request aborted'), timedOut: () => new Error('request timed out') },
      prepare: (headers, read) => { withBodyLength(headers, read.body); },
      send: (attempt) => sendOnce(url, method, pathAndQuery, attempt, agent),
    });
    return rejection === undefined ? response : { ...response, rejection };
  } finally {
    agent.destroy();
  }
}

function sendOnce(url: URL, method: string, pathAndQuery: string, attempt: SignedAttempt, agent: http.Agent): Promise<Reply<SignedResponse>> {
  return new Promise((resolve, reject) => {
    const outgoing = (url.protocol === 'https:' ? https.request : http.request)({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      method,
      path: pathAndQuery,
      // Host is among them: the signed one. Node also takes the TLS server name (SNI,
      // certificate check) from it, which a tunnel to https://localhost:PORT needs.
      headers: attempt.headers,
      agent,
    });
    outgoing.on('response', (response: IncomingMessage) => resolve({
      statusCode: response.statusCode ?? 0,
      header: (name) => firstHeader(response.headers[name]),
      response: { response, rawHeaders: sentValuesScrub(attempt.headers).rawHeaders(response.rawHeaders) },
      consume: async (scrub, bound) => {
        const { text } = await readRefusal(response, response.headers['content-encoding'], bound);
        return { text, response: { response, rawHeaders: scrub.rawHeaders(response.rawHeaders), text: scrub(text) } };
      },
    }));
    outgoing.on('error', reject);
    outgoing.end(attempt.body !== undefined && attempt.body.length > 0 ? attempt.body : undefined);
  });
}
