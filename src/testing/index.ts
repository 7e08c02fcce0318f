// `aws-sigv4-connection/testing`: the signature-verifying proxy, for users' own tests.
// First: its optional peers, so a missing one is named before the verifier loads it.
import './require-peers.js';

export { VerifyProxy, startVerifyProxy } from './verify-proxy.js';
export type {
  RejectionVerdict, Verdict, VerifiedRequestRecord, VerifyProxyCredentials, VerifyProxyOptions, VerifyProxyStats,
} from './verify-proxy.js';
