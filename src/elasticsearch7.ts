/**
 * `aws-sigv4-connection/elasticsearch7`: the Connection for `@elastic/elasticsearch` 7.x.
 * Clients 7.14 and later refuse servers that are not Elastic's (their product check): against
 * Amazon OpenSearch Service, and against the `oss` Elasticsearch 7.10 that AWS runs, use 7.13
 * or earlier, or the OpenSearch client (measured: README, Compatibility).
 */
import type * as Elasticsearch from '@elastic/elasticsearch';
import { withSigV4Callback } from './adapters/callback-connection.js';
import { ConfigurationError } from './errors.js';
import { requirePeer } from './peer.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a literal require, for bundlers (see requirePeer)
const client = requirePeer<typeof Elasticsearch>('@elastic/elasticsearch', () => require('@elastic/elasticsearch'), 'aws-sigv4-connection/elasticsearch7');

// 8.x and 9.x have no `Connection`: without this check the import would fail with
// "Class extends value undefined", which names neither the package nor the fix.
if (typeof client.Connection !== 'function') {
  throw new ConfigurationError('ERR_MISSING_PEER_DEPENDENCY',
    "aws-sigv4-connection/elasticsearch7 is for @elastic/elasticsearch 7.x, and the installed one has no Connection class (8.x or 9.x?): import AwsSigV4Connection from 'aws-sigv4-connection/elasticsearch' instead.");
}

export const AwsSigV4Connection = withSigV4Callback(client.Connection, client.errors);

export { withSigV4Callback as withAwsSigV4 } from './adapters/callback-connection.js';
export type { AwsSigV4Options, SigningEvent } from './request-signer.js';
// The types configure() returns, so a library exporting a configured class can name them (declaration emit, TS2742).
export type { AwsSigV4CallbackConnection, SigV4ConnectionStatics } from './adapters/callback-connection.js';
export default AwsSigV4Connection;
