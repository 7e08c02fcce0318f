/**
 * Optional peer dependencies, loaded where they are used: a missing one becomes the typed
 * `ERR_MISSING_PEER_DEPENDENCY` that says what to install, instead of Node's bare
 * MODULE_NOT_FOUND stack that names a file inside this package.
 *
 * Loaded with `require` (the package's ESM entries are a thin layer over this CommonJS
 * build, so one loader serves both), resolved from this package's own location, exactly
 * where a static import would look, and written out literally where it is used.
 */
import { ConfigurationError } from './errors.js';
import { engineMismatch } from './peer-engines.js';

/** The install command for these packages, as the error message gives it. */
export function installCommand(packages: readonly string[]): string {
  return `npm install ${packages.join(' ')}`;
}

/**
 * Node's "not found" for `name` itself. A peer that is installed but broken (one of ITS
 * dependencies missing) also throws MODULE_NOT_FOUND, naming that other package: that
 * is not a missing peer, and its own error says more.
 */
export function isMissingModule(error: unknown, name: string): boolean {
  const { code, pnpCode, data } = (error ?? {}) as { code?: unknown; pnpCode?: unknown; data?: { request?: unknown } };
  // Yarn PnP names the package unquoted in its message, and by its own codes and data.request.
  if (pnpCode === 'MISSING_PEER_DEPENDENCY' || pnpCode === 'UNDECLARED_DEPENDENCY') {
    const request = data?.request;
    return typeof request === 'string' && (request === name || request.startsWith(`${name}/`));
  }
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return false;
  const message = error instanceof Error ? error.message : '';
  return message.includes(`'${name}'`) || message.includes(`"${name}"`);
}

/**
 * Loads the optional peer `name` with `load` for `neededBy` (an entry point or feature, as
 * the user knows it), or throws ConfigurationError ERR_MISSING_PEER_DEPENDENCY naming the fix.
 * `load` is the caller's own `() => require('<name>')` with the name written out: a bundler
 * (esbuild, webpack, for a Lambda zip) follows only a literal require, and then puts the one
 * copy of the client the app imports into the bundle; a require of a variable it leaves for
 * run time, where the bundle has no node_modules. `alsoInstall` lists the peers needed
 * together, so one command fixes them all.
 */
export function requirePeer<T>(name: string, load: () => unknown, neededBy: string, alsoInstall: readonly string[] = []): T {
  try {
    return load() as T;
  } catch (error) {
    throw peerLoadError(name, neededBy, error, alsoInstall);
  }
}

/**
 * What a failed load of the peer `name` is to the user: ERR_MISSING_PEER_DEPENDENCY naming the
 * install line when it is not installed, ERR_PEER_UNSUPPORTED_NODE when it is not made for this
 * Node, else the error as it came. For a peer loaded by `import()` as for one `require`d.
 */
export function peerLoadError(name: string, neededBy: string, error: unknown, alsoInstall: readonly string[] = []): unknown {
  if (!isMissingModule(error, name)) return unsupportedNode(name, neededBy, error) ?? error;
  return new ConfigurationError('ERR_MISSING_PEER_DEPENDENCY',
    `${neededBy} needs the optional peer dependency ${name}, which is not installed: run \`${installCommand(alsoInstall.includes(name) ? alsoInstall : [name, ...alsoInstall])}\`.`,
    { cause: error });
}

/**
 * An installed peer that threw while loading because it is not made for this Node (its
 * `engines`, or a dependency's, exclude it): ERR_PEER_UNSUPPORTED_NODE saying so, instead of
 * its bare TypeError (undici 7 on Node 18: "File is not defined"). Undefined otherwise.
 */
function unsupportedNode(name: string, neededBy: string, error: unknown): ConfigurationError | undefined {
  const mismatch = engineMismatch(name, (id) => require.resolve(id));
  if (mismatch === undefined) return undefined;
  return new ConfigurationError('ERR_PEER_UNSUPPORTED_NODE',
    `${neededBy} loads the optional peer dependency ${name}, which failed on Node ${process.version}: ${mismatch}. Install a release of ${name} made for this Node (the README's Install section names them for Node 18), or run a newer Node.`,
    { cause: error });
}
