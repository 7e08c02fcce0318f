/**
 * `aws-sigv4-connection/elasticsearch7`: the Connection for `@elastic/elasticsearch` 7.x.
 * Clients 7.14 and later refuse servers that are not Elastic's (their product check), so
 * against Amazon OpenSearch Service use 7.13 or earlier, or the OpenSearch client.
 */
import { Connection, errors } from '@elastic/elasticsearch';
import { withSigV4Callback } from './adapters/callback-connection.js';

export const AwsSigV4Connection = withSigV4Callback(Connection, errors.RequestAbortedError);

export { withSigV4Callback as withAwsSigV4 } from './adapters/callback-connection.js';
export type { AwsSigV4Options, SigningEvent } from './request-signer.js';
export default AwsSigV4Connection;
