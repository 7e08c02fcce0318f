/**
 * One line per request, as text or JSON lines. The path is origin-form (an absolute-form
 * target's userinfo is gone before it gets here) and any presigning secret in its query
 * is masked; no header value is ever logged.
 */
export interface SigningProxyLogEntry {
  method: string;
  /** Path and query as received, origin-form, presigning values masked. */
  path: string;
  status: number;
  /** Body bytes signed and sent upstream. */
  bodyBytes: number;
  /** 1 when the request was re-signed and sent again after a refusal. */
  retries: number;
  ms: number;
  /** Why the proxy answered itself (403, 413, 500, 502, 503, 504). */
  error?: string;
}

export type LogFormat = 'text' | 'json';

const SECRET_QUERY = /([?&]x-amz-(?:security-token|signature|credential)=)[^&#]*/gi;

/** A request-target fit to log: origin-form, without userinfo or presigning secrets. */
export function loggablePath(originFormTarget: string): string {
  return originFormTarget.replace(SECRET_QUERY, '$1[REDACTED]');
}

export function formatLogLine(entry: SigningProxyLogEntry, format: LogFormat, time = new Date()): string {
  if (format === 'json') return `${JSON.stringify({ time: time.toISOString(), ...entry })}\n`;
  return `${entry.status} ${entry.method} ${entry.path} ${entry.bodyBytes}B ${entry.ms}ms${entry.retries ? ' (re-signed once)' : ''}${entry.error ? `: ${entry.error}` : ''}\n`;
}
