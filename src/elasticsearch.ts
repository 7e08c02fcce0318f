/**
 * `aws-sigv4-connection/elasticsearch`: Connections for `@elastic/elasticsearch` 8.x and 9.x
 * (`@elastic/transport`), one per connection kind, so a user keeps the one they chose:
 * `AwsSigV4Connection` (the client's default, undici) and `AwsSigV4HttpConnection` (node:http).
 */
import { HttpConnection, UndiciConnection, errors } from '@elastic/elasticsearch';
import { withSigV4Promise } from './adapters/promise-connection.js';

export const AwsSigV4UndiciConnection = withSigV4Promise(UndiciConnection, errors.RequestAbortedError);
export const AwsSigV4HttpConnection = withSigV4Promise(HttpConnection, errors.RequestAbortedError);
/** The client's own default kind (undici). */
export const AwsSigV4Connection = AwsSigV4UndiciConnection;

export { withSigV4Promise as withAwsSigV4 } from './adapters/promise-connection.js';
export type { AwsSigV4Options, SigningEvent } from './request-signer.js';
export default AwsSigV4Connection;
