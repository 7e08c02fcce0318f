/**
 * `aws-sigv4-connection/opensearch`: the Connection for `@opensearch-project/opensearch`
 * 2.x and 3.x.
 *
 *   new Client({ node, Connection: AwsSigV4Connection })
 *   new Client({ node, Connection: AwsSigV4Connection.configure({ service: 'aoss' }) })
 */
import type * as OpenSearch from '@opensearch-project/opensearch';
import { withSigV4Callback } from './adapters/callback-connection.js';
import { requirePeer } from './peer.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a literal require, for bundlers (see requirePeer)
const { Connection, errors } = requirePeer<typeof OpenSearch>('@opensearch-project/opensearch', () => require('@opensearch-project/opensearch'), 'aws-sigv4-connection/opensearch');

export const AwsSigV4Connection = withSigV4Callback(Connection, errors);

/** The same, built on another copy of the client's Connection class (e.g. an aliased 2.x). */
export { withSigV4Callback as withAwsSigV4 } from './adapters/callback-connection.js';
export type { AwsSigV4Options, SigningEvent } from './request-signer.js';
// The types configure() returns, so a library exporting a configured class can name them (declaration emit, TS2742).
export type { AwsSigV4CallbackConnection, SigV4ConnectionStatics } from './adapters/callback-connection.js';
export default AwsSigV4Connection;
