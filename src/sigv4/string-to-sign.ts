/**
 * Step 2, the string to sign: algorithm, request time, credential scope and the hash of
 * the canonical request, one per line. The request time's two forms live here too.
 */
import { ConfigurationError } from '../errors.js';
import { caches } from './caches.js';
import { ALGORITHM } from './types.js';

/** The first and last seconds x-amz-date can write, 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: four digits of year. */
const FIRST_SECOND = Date.parse('0000-01-01T00:00:00Z') / 1000;
const LAST_SECOND = Date.parse('9999-12-31T23:59:59Z') / 1000;

export function credentialScope(day: string, region: string, service: string): string {
  return `${day}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestHash: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${canonicalRequestHash}`;
}

/** `YYYYMMDDTHHMMSSZ` of a valid Date in the years 0000-9999. */
export function toAmzDate(date: Date): string {
  return amzDateAt(date.getTime());
}

/**
 * The same from epoch milliseconds, so reading the clock costs no Date object unless the
 * second is new: the string of the current second is reused, since most requests share it.
 */
export function amzDateAt(ms: number): string {
  const second = Math.floor(ms / 1000);
  const last = caches.amzDate;
  if (second === last.second) return last.text;
  // Past the cached second only, so the per-request cost is nothing: toISOString writes a
  // year outside 0000-9999 as +YYYYYY or -YYYYYY, which no x-amz-date can hold (NaN fails too).
  if (!(second >= FIRST_SECOND && second <= LAST_SECOND)) throw signingTimeError(ms);
  const iso = new Date(ms).toISOString();
  const text = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  caches.amzDate = { second, text };
  return text;
}

function signingTimeError(ms: number): ConfigurationError {
  const year = new Date(ms).getUTCFullYear();
  return new ConfigurationError('ERR_INVALID_OPTIONS',
    `options.signingDate must fall in the years 0000 to 9999 (x-amz-date has four digits of year), got ${Number.isNaN(year) ? 'an invalid time' : `the year ${year}`}. Omit it to sign with the current time.`);
}

/** botocore's `Date` for a request that carries one: email.utils.formatdate of the signing time, hence "-0000". */
export function httpDateOf(amzDate: string): string {
  const time = new Date(Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15)));
  return time.toUTCString().replace('GMT', '-0000');
}
