/**
 * Step 2, the string to sign: algorithm, request time, credential scope and the hash of
 * the canonical request, one per line. The request time's two forms live here too.
 */
import { caches } from './caches.js';
import { ALGORITHM } from './types.js';

export function credentialScope(day: string, region: string, service: string): string {
  return `${day}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestHash: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${canonicalRequestHash}`;
}

/** `YYYYMMDDTHHMMSSZ` of a valid Date. */
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
  const iso = new Date(ms).toISOString();
  const text = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  caches.amzDate = { second, text };
  return text;
}

/** botocore's `Date` for a request that carries one: email.utils.formatdate of the signing time, hence "-0000". */
export function httpDateOf(amzDate: string): string {
  const time = new Date(Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15)));
  return time.toUTCString().replace('GMT', '-0000');
}
