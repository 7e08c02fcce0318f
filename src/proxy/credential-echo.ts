/**
 * The inbound credential anywhere but the Authorization header: a client (or a tool's
 * config) that also put it in the URL or in a header of its own would have it signed and
 * passed on to the target, where AWS logs it. It is found by value, as sent and
 * percent-decoded, and the request refused; where it was is told, never the value.
 */
import { percentDecode } from '../sigv4/canonical-query.js';
import type { InboundAuthOptions } from './inbound-auth.js';

/** The inbound credential as a client could write it: the token, the basic-auth pair, its password and the pair's base64. */
export function credentialForms(auth: InboundAuthOptions | undefined): string[] {
  const forms = [auth?.token];
  if (auth?.basic !== undefined) {
    forms.push(auth.basic, auth.basic.slice(auth.basic.indexOf(':') + 1), Buffer.from(auth.basic, 'utf8').toString('base64'));
  }
  return forms.filter((f): f is string => f !== undefined && f !== '');
}

/** Holds the credential's forms in a private field: nothing of them prints (inspect, JSON). */
export class CredentialEcho {
  readonly #forms: string[];

  constructor(auth: InboundAuthOptions | undefined) {
    const forms = new Set<string>();
    for (const form of credentialForms(auth)) {
      forms.add(form);
      // Node gives header values as Latin-1: a UTF-8 password arrives as its bytes.
      forms.add(Buffer.from(form, 'utf8').toString('latin1'));
    }
    this.#forms = [...forms];
  }

  /**
   * Where the credential is in the request-target or in one of `headers` (name, value
   * pairs: the client's headers that would be forwarded), e.g. 'the query' or 'header
   * "x-auth"'; undefined when nowhere.
   */
  find(target: string, headers: readonly string[]): string | undefined {
    const at = target.indexOf('?');
    if (this.holds(at < 0 ? target : target.slice(0, at))) return 'the path';
    if (at >= 0 && this.holds(target.slice(at + 1))) return 'the query';
    for (let i = 0; i + 1 < headers.length; i += 2) {
      // A credential used as a header's name: that name is not quoted either.
      if (this.holds(headers[i]!)) return 'a header\'s name';
      if (this.holds(headers[i + 1]!)) return `header "${headers[i]!.toLowerCase()}"`;
    }
    return undefined;
  }

  private holds(text: string): boolean {
    if (this.#forms.length === 0) return false;
    const candidates = new Set([text]);
    if (text.includes('%') || text.includes('+')) {
      candidates.add(percentDecode(text));
      candidates.add(percentDecode(text.replace(/\+/g, ' ')));
    }
    for (const candidate of candidates) {
      for (const form of this.#forms) {
        if (form.length >= ANYWHERE_FROM ? candidate.includes(form) : standsAlone(candidate, form)) return true;
      }
    }
    return false;
  }
}

/**
 * A form shorter than this (a short basic-auth password: `search`, `admin`) is found only
 * where it stands alone, not inside a word: `/_search` would otherwise be refused.
 */
const ANYWHERE_FROM = 12;
const VALUE_CHAR = /[A-Za-z0-9._~-]/;

function standsAlone(text: string, form: string): boolean {
  for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
    const before = text[at - 1];
    const after = text[at + form.length];
    if ((before === undefined || !VALUE_CHAR.test(before)) && (after === undefined || !VALUE_CHAR.test(after))) return true;
  }
  return false;
}
