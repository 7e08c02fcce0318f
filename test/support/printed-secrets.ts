/**
 * What the whole test run printed, searched for every test secret and token in every form it
 * could print in. Independent of src/ on purpose: our redaction (errors.ts secretForms) is what
 * this checks, so it must not share its list of encodings.
 *
 * The secrets are the tests' own literals: every string given as a `secretAccessKey` or
 * `sessionToken` (or assigned to a SECRET/TOKEN constant) in test/ and scripts/, 16 characters
 * or more (shorter ones are words a title may hold). A hit names the literal's file and line
 * and the form, never the secret.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface TestSecret {
  value: string;
  /** file:line of the literal. */
  where: string;
}

export interface PrintedHit {
  where: string;
  form: string;
  /** 1-based line of the output it was found on. */
  line: number;
}

const LITERAL = /(?:secretAccessKey|sessionToken|[A-Z_]*(?:SECRET|TOKEN)[A-Z_]*)['"]?\s*[:=]\s*(['"`])((?:(?!\1)[^\\\n$]){16,})\1/g;
const MIN_LENGTH = 16;

/** Every test secret literal under `dirs` (recursively, .ts/.js/.cjs/.mjs/.py files). */
export function testSecrets(root: string, dirs: string[]): TestSecret[] {
  const found = new Map<string, TestSecret>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(path);
      } else if (/\.(?:[cm]?[jt]s|py)$/.test(entry.name)) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(LITERAL)) {
          const value = match[2]!.trim();
          if (value.length < MIN_LENGTH || found.has(value)) continue;
          const line = text.slice(0, match.index).split('\n').length;
          found.set(value, { value, where: `${relative(root, path)}:${line}` });
        }
      }
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return [...found.values()];
}

/**
 * The forms a secret takes in printed text: as is, JSON- and percent-encoded, hex, and base64
 * and base64url at each of the three alignments it can have inside a longer encoded run (a
 * Basic header's `key:secret`), each trimmed to the characters that depend on the secret alone.
 */
export function printedForms(secret: string): Map<string, string> {
  const forms = new Map<string, string>();
  const add = (form: string, text: string) => { if (text.length >= 8 && !forms.has(text)) forms.set(text, form); };
  add('raw', secret);
  add('JSON', JSON.stringify(secret).slice(1, -1));
  add('JSON, "/" escaped', JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'));
  const percent = encodeURIComponent(secret).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  add('percent-encoded', percent);
  add('percent-encoded, lower-case', percent.replace(/%[0-9A-F]{2}/g, (c) => c.toLowerCase()));
  add('percent-encoded twice', encodeURIComponent(percent));
  const bytes = Buffer.from(secret, 'utf8');
  add('hex', bytes.toString('hex'));
  add('hex, upper-case', bytes.toString('hex').toUpperCase());
  for (let shift = 0; shift < 3; shift++) {
    // `shift` bytes before it: the encoded run's first 4 characters and last 4 also hold
    // neighbours' bits, so only the characters in between are the secret's own.
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const own = encoded.slice(shift === 0 ? 0 : 4, encoded.length - 4);
    add(`base64 (offset ${shift})`, own);
    add(`base64url (offset ${shift})`, own.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/** Every place `output` holds a form of a secret. */
export function scanPrinted(output: string, secrets: TestSecret[]): PrintedHit[] {
  const hits: PrintedHit[] = [];
  for (const secret of secrets) {
    for (const [text, form] of printedForms(secret.value)) {
      let at = output.indexOf(text);
      while (at !== -1) {
        hits.push({ where: secret.where, form, line: output.slice(0, at).split('\n').length });
        at = output.indexOf(text, at + text.length);
      }
    }
  }
  return hits;
}
