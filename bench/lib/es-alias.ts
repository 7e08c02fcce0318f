/**
 * aws-elasticsearch-connector does `require('@elastic/elasticsearch')`, and expects the 7.x
 * client; here 7.17 is installed only under the alias `es7` (the top-level
 * `@elastic/elasticsearch` types point at 9.x). Redirect that one request, from that one
 * package, for this process only: node_modules stays untouched and nothing else sees it.
 */
import Module from 'node:module';
import { sep } from 'node:path';

type ResolveFilename = (request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]) => string;

const CONNECTOR_DIR = `${sep}node_modules${sep}aws-elasticsearch-connector${sep}`;
const internals = Module as unknown as { _resolveFilename: ResolveFilename; __benchEsAlias?: true };

export function aliasElasticsearchForConnector(): void {
  // Idempotent: the micro bench and the memory children both call it.
  if (internals.__benchEsAlias) return;
  internals.__benchEsAlias = true;
  const original = internals._resolveFilename;
  internals._resolveFilename = function (this: unknown, request, parent, ...rest) {
    if (request === '@elastic/elasticsearch' && parent?.filename?.includes(CONNECTOR_DIR)) {
      return original.call(this, 'es7', parent, ...rest);
    }
    return original.call(this, request, parent, ...rest);
  };
}
