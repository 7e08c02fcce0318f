/**
 * `aws-sigv4-connection/elasticsearch`: Connections for `@elastic/elasticsearch` 8.x and 9.x
 * (`@elastic/transport`), one per connection kind, so a user keeps the one they chose:
 * `AwsSigV4Connection` (the client's default, undici) and `AwsSigV4HttpConnection` (node:http).
 *
 * Built on the classes the installed client exports, so they come from the very copy of
 * `@elastic/transport` the client uses (8.x and 9.x each bring their own).
 */
import type * as Elasticsearch from '@elastic/elasticsearch';
import { withSigV4Promise } from './adapters/promise-connection.js';
import { ConfigurationError } from './errors.js';
import { requirePeer } from './peer.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a literal require, for bundlers (see requirePeer)
const client = requirePeer<typeof Elasticsearch>('@elastic/elasticsearch', () => require('@elastic/elasticsearch'), 'aws-sigv4-connection/elasticsearch');

// 7.x exports `Connection` instead: without this check the import would fail with
// "Class extends value undefined", which names neither the package nor the fix.
if (typeof client.HttpConnection !== 'function' || typeof client.UndiciConnection !== 'function') {
  throw new ConfigurationError('ERR_MISSING_PEER_DEPENDENCY',
    "aws-sigv4-connection/elasticsearch is for @elastic/elasticsearch 8.x and 9.x, and the installed one has no HttpConnection/UndiciConnection (7.x?): import AwsSigV4Connection from 'aws-sigv4-connection/elasticsearch7' instead.");
}

export const AwsSigV4UndiciConnection = withSigV4Promise(client.UndiciConnection, client.errors);
export const AwsSigV4HttpConnection = withSigV4Promise(client.HttpConnection, client.errors);
/** The client's own default kind (undici). */
export const AwsSigV4Connection = AwsSigV4UndiciConnection;

export { withSigV4Promise as withAwsSigV4 } from './adapters/promise-connection.js';
export type { AwsSigV4Options, SigningEvent } from './request-signer.js';
// The types configure() returns, so a library exporting a configured class can name them (declaration emit, TS2742).
export type { AwsSigV4PromiseConnection } from './adapters/promise-connection.js';
export type { SigV4ConnectionStatics } from './adapters/callback-connection.js';
export default AwsSigV4Connection;
