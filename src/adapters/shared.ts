/** Small pieces every Connection adapter needs. */
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import { ConfigurationError } from '../errors.js';

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

/** The headers the connection will send, with a content-length when the client left none: it is signed. */
export function withContentLength(headers: Record<string, string>, body: string | Uint8Array | null | undefined): Record<string, string> {
  if (body !== undefined && body !== null && body.length > 0 && headers['content-length'] === undefined) {
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  }
  return headers;
}

/** The first value of a response header node may have folded into an array. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A whole stream's bytes (a refusal to classify, stdin): small by nature, so held at once. */
export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Response headers for a body replaced by `text`, sent uncompressed. */
export function plainHeaders<H extends Record<string, string | string[] | undefined>>(headers: H, text: string): H {
  const { 'content-encoding': _encoding, ...rest } = headers;
  return { ...rest, 'content-length': String(Buffer.byteLength(text)) } as unknown as H;
}
