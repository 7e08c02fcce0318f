/** Small pieces every Connection adapter needs. */
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ConfigurationError } from '../errors.js';

export function isStream(body: unknown): body is Readable {
  return body !== null && typeof body === 'object' && typeof (body as Readable).pipe === 'function';
}

/**
 * One new object with lower-cased names (later sources win), values as strings, and no
 * `authorization`: the clients may share a header object among connections, may carry
 * Basic/ApiKey auth in it, and undici would send `X-A` and `x-a` both.
 */
export function lowerCaseHeaders(...sources: Array<Record<string, unknown> | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const source of sources) {
    if (source === null || source === undefined) continue;
    for (const name in source) {
      const value = source[name];
      if (value === undefined || value === null) continue;
      const lower = name.toLowerCase();
      if (lower === 'authorization') continue;
      out[lower] = Array.isArray(value) ? value.join(',') : String(value);
    }
  }
  return out;
}

const SNIFF_PATH = /^\/?_nodes(?:\/_all)?\/http(?:[/?]|$)/;
const warnedFor = new WeakSet<object>();

/**
 * Sniffing replaces the node URL with the addresses nodes report, which behind AWS are
 * unreachable (and not what is signed for): the sniff request fails at once, typed.
 */
export function refuseSniffing(path: string, owner: object): ConfigurationError | undefined {
  if (!SNIFF_PATH.test(path)) return undefined;
  const message = 'Sniffing is not supported with AWS SigV4 (Amazon OpenSearch Service and Serverless hide node addresses): ' +
    'create the client with sniffOnStart: false, sniffInterval: false and sniffOnConnectionFault: false.';
  // Once per Connection class: a sniffInterval would otherwise warn every few seconds.
  if (!warnedFor.has(owner)) {
    warnedFor.add(owner);
    process.emitWarning(message, { code: 'AWS_SIGV4_SNIFFING' });
  }
  return new ConfigurationError('ERR_SNIFFING_UNSUPPORTED', message);
}

/** A refusal body as text, decompressed when the server compressed it. */
export function readRefusalText(raw: Buffer, encoding: string | string[] | undefined): string {
  try {
    const enc = String(encoding ?? '').toLowerCase();
    if (enc.includes('gzip')) return gunzipSync(raw).toString('utf8');
    if (enc.includes('deflate')) return inflateSync(raw).toString('utf8');
    if (enc.includes('br')) return brotliDecompressSync(raw).toString('utf8');
  } catch {
    return '';
  }
  return raw.toString('utf8');
}
