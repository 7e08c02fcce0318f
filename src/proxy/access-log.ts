/**
 * One line per request, as text or JSON lines. The path is origin-form (an absolute-form
 * target's userinfo is gone before it gets here), the values of query parameters that
 * carry secrets by their name (presigning, `access_token`, `password`, `api_key`...) are
 * masked, and so is the proxy's own inbound credential wherever a client put it; no header
 * value is ever logged.
 */
import { secretForms } from '../errors.js';

export interface SigningProxyLogEntry {
  method: string;
  /** Path and query as received, origin-form, secret values masked. */
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

const MASK = '[REDACTED]';
// Presigning parameters, and the names tools give a credential sent in the URL.
const SECRET_NAME = /^(?:x-amz-(?:security-token|signature|credential)|(?:[\w.-]*[_-])?(?:token|password|passwd|secret|api[_-]?key|apikey|auth|authorization))$/i;

/** A request-target fit to log: origin-form, without userinfo or secrets in its query. */
export function loggablePath(originFormTarget: string): string {
  // `//user:pass@host/...` is an origin-form path to us, and a URL with a password to whoever reads the log.
  const target = originFormTarget.replace(/^\/\/[^/?#]*@/, `//${MASK}@`);
  const at = target.indexOf('?');
  if (at < 0) return target;
  // Pairs split on `;` too: some servers (and the verifier) read it as a separator.
  const query = target.slice(at + 1).split(/([&;])/).map((pair) => {
    const eq = pair.indexOf('=');
    return eq >= 0 && SECRET_NAME.test(safeDecode(pair.slice(0, eq))) ? `${pair.slice(0, eq + 1)}${MASK}` : pair;
  });
  return `${target.slice(0, at)}?${query.join('')}`;
}

/**
 * Masks the inbound credential (token, basic-auth password) by value in what is logged: a
 * client may put it in the query (`?access_token=`) under any name. It has to hold the
 * values for that; they are private and print as nothing.
 */
export class LogRedactor {
  readonly #forms: string[];

  constructor(secrets: ReadonlyArray<string | undefined>) {
    const forms = new Set<string>();
    // Every form a secret takes (raw, percent-encoded in either hex case, a form's `+`, ...).
    for (const secret of secrets) if (secret) for (const form of secretForms(secret)) forms.add(form);
    // Longest first, so a value is not half masked by a shorter one inside it.
    this.#forms = [...forms].sort((a, b) => b.length - a.length);
  }

  /** The path as loggablePath has it, with the credential's values masked too. */
  path(originFormTarget: string): string {
    return this.text(loggablePath(originFormTarget));
  }

  text(text: string): string {
    let out = text;
    for (const form of this.#forms) out = out.split(form).join(MASK);
    return out;
  }

  toJSON(): object {
    return {};
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'LogRedactor {}';
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function formatLogLine(entry: SigningProxyLogEntry, format: LogFormat, time = new Date()): string {
  if (format === 'json') return `${JSON.stringify({ time: time.toISOString(), ...entry })}\n`;
  return `${entry.status} ${entry.method} ${entry.path} ${entry.bodyBytes}B ${entry.ms}ms${entry.retries ? ' (re-signed once)' : ''}${entry.error ? `: ${entry.error}` : ''}\n`;
}
