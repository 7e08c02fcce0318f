// `aws-sigv4-connection/testing`: the signature-verifying proxy, for users' own tests.
export { VerifyProxy, startVerifyProxy } from './verify-proxy.js';
export type {
  RejectionVerdict, Verdict, VerifiedRequestRecord, VerifyProxyCredentials, VerifyProxyOptions, VerifyProxyStats,
} from './verify-proxy.js';
