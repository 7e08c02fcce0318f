/**
 * How an error answer (400 and up) is cleaned of what its attempt was signed with before a
 * front end hands it on: it ends up in the client's error (its message, `meta.body`,
 * `meta.headers`), createSignedFetch's Response, the signing proxy's client, a log. A server
 * that echoes its request (a debugging gateway's 500, a mock, `es` quoting the canonical
 * request in a refusal) may echo it in a header as well as in the body, so both are scrubbed
 * by one rule. A 2xx or 3xx answer is none of this module's: a pattern scrub would break
 * another party's presigned Location, and its body is the caller's data.
 *
 * No Node built-in here: the web entry's bundle holds it.
 */
import { redactValues } from '../errors.js';
import { redactRefusalBody } from '../rejection.js';

/** A response header record as node:http and the clients keep one (IncomingHttpHeaders). */
export type HeaderRecord = Record<string, string | string[] | undefined>;

/**
 * Headers that only ever carry a credential: in an error answer they can be nothing but an
 * echo of ours (AWS never answers with one), and are dropped whole.
 */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'x-amz-security-token']);

/**
 * An error answer's scrub, called as a function on its body's text (what every front end has
 * always called): the secret key, the session token and this attempt's signature removed by
 * value in every form secretForms knows (raw, URL- and JSON-escaped, hex, base64 at any
 * offset...), and any signature or token value quoted back. Its headers go through the same
 * scrub, value by value; a header named for a credential, or whose name holds one of ours, is
 * dropped. A head with nothing of ours in it (nearly every one) comes back as the same object.
 */
export interface AnswerScrub {
  (text: string): string;
  /** A header record: the same object when clean, else a copy with our values removed. */
  headers<H extends HeaderRecord>(headers: H): H;
  /** Raw name, value pairs (node's rawHeaders, the proxy's head): the same array when clean, else a copy. */
  rawHeaders(raw: string[]): string[];
}

export function answerScrub(credentials: { secretAccessKey?: string; sessionToken?: string }, signature: string | undefined): AnswerScrub {
  return withHeaderScrub((text) => redactRefusalBody(text, credentials, signature), true);
}

/**
 * `scrub` made an AnswerScrub: header values scrubbed with it, a header whose name it changes
 * dropped, and with `dropCredentialHeaders`, a header named for a credential too (the signing
 * proxy scrubs a 2xx head by value only, and keeps its names).
 */
export function withHeaderScrub(scrub: (text: string) => string, dropCredentialHeaders: boolean): AnswerScrub {
  const named = (name: string): boolean => dropCredentialHeaders && CREDENTIAL_HEADERS.has(name.toLowerCase());
  const kept = (name: string): boolean => !named(name) && scrub(name) === name;
  /** True when nothing in the head is ours: one scrub over all of it (names and values), no copy. */
  const clean = (all: readonly string[], names: readonly string[]): boolean => {
    if (names.some(named)) return false;
    const text = all.join('\n');
    return scrub(text) === text;
  };
  return Object.assign((text: string) => scrub(text), {
    headers<H extends HeaderRecord>(headers: H): H {
      const names = Object.keys(headers);
      if (clean([...names, ...names.flatMap((name) => headers[name] ?? [])], names)) return headers;
      const out: HeaderRecord = {};
      for (const name of names) {
        const value = headers[name];
        if (!kept(name) || value === undefined) continue;
        out[name] = typeof value === 'string' ? scrub(value) : value.map(scrub);
      }
      return out as H;
    },
    rawHeaders(raw: string[]): string[] {
      if (clean(raw, raw.filter((_, i) => i % 2 === 0))) return raw;
      const out: string[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) if (kept(raw[i]!)) out.push(raw[i]!, scrub(raw[i + 1]!));
      return out;
    },
  });
}

/**
 * A successful answer's head cleaned by value only: the session token and the signature the
 * attempt was sent with (`headers`, as signed), in every form; names kept. Ours have no place
 * in a good answer, and nothing else of it is touched (another party's presigned Location).
 */
export function sentValuesScrub(headers: Readonly<Record<string, string | undefined>>): AnswerScrub {
  const sent = [headers['x-amz-security-token'], /Signature=([0-9a-f]+)/.exec(headers.authorization ?? '')?.[1]];
  return withHeaderScrub((text) => redactValues(text, sent), false);
}
