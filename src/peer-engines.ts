/**
 * Why an installed peer failed to load, when the reason is this Node's version: the peer, or
 * one of its own dependencies, declares an `engines.node` that excludes it (on Node 18:
 * @elastic/elasticsearch 9.x, whose @elastic/transport 9 and undici 7 need Node 20, or a
 * future @aws-sdk/credential-providers). Read only after the load has thrown, so it costs
 * nothing on the way to a working peer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type Version = readonly [number, number, number];

interface PackageJson {
  name?: string;
  version?: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

/** `a.b.c`, `a.b`, `a`, with `x`/`*` for the parts left open; the number of parts given. */
function parseVersion(text: string): { version: Version; parts: number } | undefined {
  const match = /^v?(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?$/i.exec(text);
  if (match === null) return undefined;
  const given = match.slice(1).filter((p) => p !== undefined && !/^[x*]$/i.test(p)).map(Number);
  // A wildcard then a number (`x.1`) is no range anyone publishes.
  if (match.slice(1, 1 + given.length).some((p) => p === undefined || /^[x*]$/i.test(p))) return undefined;
  return { version: [given[0] ?? 0, given[1] ?? 0, given[2] ?? 0], parts: given.length };
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The version after every one a partial version covers (`18` -> 19.0.0, `18.2` -> 18.3.0). */
function after(version: Version, parts: number): Version {
  if (parts === 0) return [Infinity, 0, 0];
  if (parts === 1) return [version[0] + 1, 0, 0];
  if (parts === 2) return [version[0], version[1] + 1, 0];
  return [version[0], version[1], version[2] + 1];
}

/** One comparator (`>=20.18.1`, `^20.19.0`, `~18.2`, `18.x`), or undefined for a form not read here. */
function comparatorIncludes(comparator: string, node: Version): boolean | undefined {
  const match = /^(>=|<=|>|<|=|\^|~)?(.+)$/.exec(comparator);
  const parsed = match && parseVersion(match[2]!);
  if (!match || !parsed) return undefined;
  const { version, parts } = parsed;
  const upper = after(version, parts);
  switch (match[1]) {
    case '>=': return compare(node, version) >= 0;
    case '>': return compare(node, upper) >= 0;
    case '<': return compare(node, version) < 0;
    case '<=': return compare(node, upper) < 0;
    case '^': return version[0] === 0 ? undefined : compare(node, version) >= 0 && node[0] === version[0];
    case '~': return compare(node, version) >= 0 && compare(node, after(version, Math.min(parts, 2))) < 0;
    default: return compare(node, version) >= 0 && compare(node, upper) < 0;
  }
}

/**
 * Whether `node` (e.g. process.versions.node) is in an `engines.node` range: `||` of
 * space-joined comparators, the forms packages publish. Undefined for any other form
 * (hyphen ranges, pre-releases): then nothing is claimed.
 */
export function nodeRangeIncludes(range: string, node: string): boolean | undefined {
  const running = parseVersion(node);
  if (running === undefined) return undefined;
  let unknown = false;
  for (const alternative of range.trim().split('||')) {
    const comparators = alternative.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    const results = comparators.length === 0 ? [true] : comparators.map((c) => comparatorIncludes(c, running.version));
    // One comparator not read (a hyphen range's `-`) and the others mean something else.
    if (results.includes(undefined)) { unknown = true; continue; }
    if (!results.includes(false)) return true;
  }
  return unknown ? undefined : false;
}

/** The package.json of the package `file` belongs to: the nearest one with a name (not dist/cjs/package.json's `type`). */
function owningPackage(file: string): { path: string; json: PackageJson } | undefined {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (!existsSync(path)) continue;
    const json = JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
    if (typeof json.name === 'string') return { path, json };
  }
  return undefined;
}

function excludes(pkg: PackageJson, node: string): boolean {
  const range = pkg.engines?.node;
  return typeof range === 'string' && nodeRangeIncludes(range, node) === false;
}

const described = (pkg: PackageJson) => `${pkg.name}${pkg.version ? ` ${pkg.version}` : ''} declares engines.node "${pkg.engines!.node}"`;

/**
 * Which of the peer `name` (as `resolve` finds it) and its direct dependencies declares an
 * `engines.node` that excludes Node `node`, said in words; undefined when none does or
 * nothing can be read (then the load's own error stands).
 */
export function engineMismatch(name: string, resolve: (id: string) => string, node = process.versions.node): string | undefined {
  try {
    const peer = owningPackage(resolve(name));
    if (peer === undefined) return undefined;
    if (excludes(peer.json, node)) return described(peer.json);
    const fromPeer = createRequire(peer.path);
    for (const dependency of Object.keys(peer.json.dependencies ?? {})) {
      let found: ReturnType<typeof owningPackage>;
      try {
        found = owningPackage(fromPeer.resolve(dependency));
      } catch {
        continue; // a dependency with no main entry (types only) or none installed: not the one
      }
      if (found !== undefined && excludes(found.json, node)) return `its dependency ${described(found.json)}`;
    }
  } catch {
    // Unreadable: say nothing rather than guess.
  }
  return undefined;
}
