import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `../shared/sigv4-test-suite`, read in place (never copied into the repo). */
export const SUITE_DIR = join(__dirname, '..', '..', '..', 'shared', 'sigv4-test-suite');

/** One request in the input format of the suite's `tools/botocore_sign.py`. */
export interface OracleRequest {
  method: string;
  url: string;
  headers?: Array<[string, string]>;
  body_base64?: string;
  access_key: string;
  secret_key: string;
  session_token?: string | null;
  region: string;
  service: string;
  amz_date: string;
  options?: { content_sha256_header?: boolean; query_mode?: 'params' | 'url' };
}

export interface SuiteCase {
  name: string;
  request: OracleRequest;
  meta?: { normalize: boolean; sign_body: boolean; omit_session_token: boolean; session_token: string | null };
  expected: { canonical_request: string; string_to_sign: string; authorization: string };
}

export function loadCases(file: string): SuiteCase[] {
  return JSON.parse(readFileSync(join(SUITE_DIR, 'derived', file), 'utf8')) as SuiteCase[];
}

export function readSuiteFile(...parts: string[]): string {
  return readFileSync(join(SUITE_DIR, ...parts), 'utf8');
}

/** `20150830T123600Z` or ISO 8601 -> Date. */
export function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : new Date(value);
}

/** The oracle's header list as our `Record`: a repeated name becomes an array, in order. */
export function headerRecord(list: Array<[string, string]> = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of list) {
    const previous = out[name];
    out[name] = previous === undefined ? value : ([] as string[]).concat(previous, value);
  }
  return out;
}

/** The arguments of `signRequest` for an oracle request. */
export function toSignArgs(r: OracleRequest) {
  return {
    request: {
      method: r.method,
      url: r.url,
      headers: headerRecord(r.headers),
      body: r.body_base64 ? Buffer.from(r.body_base64, 'base64') : undefined,
    },
    options: {
      region: r.region,
      service: r.service,
      credentials: { accessKeyId: r.access_key, secretAccessKey: r.secret_key, sessionToken: r.session_token ?? undefined },
      signingDate: parseAmzDate(r.amz_date),
      contentSha256: r.options?.content_sha256_header === true,
    },
  };
}

export function signatureOf(authorization: string): string {
  return /Signature=([0-9a-f]{64})/.exec(authorization)?.[1] ?? '';
}
