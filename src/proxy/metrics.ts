/**
 * Counters a sidecar's operator scrapes, in the Prometheus text format (0.0.4): requests
 * by status, the proxy's own refusals by reason, AWS's signature refusals by kind,
 * credential refreshes and failures, body bytes both ways, and an upstream latency
 * histogram. Labels hold statuses and fixed names only, never a path or a value a client chose.
 */
import type { CredentialCacheStats } from '../credentials.js';

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type ProxyRefusalReason = 'host' | 'origin' | 'unauthorized' | 'path' | 'method' | 'body-too-large' | 'over-budget' | 'body-idle' | 'upstream-timeout' | 'upstream-failed' | 'no-credentials' | 'unsignable' | 'connect' | 'not-resent' | 'max-connections' | 'credential-forwarded' | 'auth-throttled';

export class ProxyMetrics {
  private readonly byStatus = new Map<number, number>();
  private readonly refusals = new Map<string, number>();
  private readonly signatureRefusals = new Map<string, number>();
  private readonly buckets = new Array<number>(LATENCY_BUCKETS_S.length).fill(0);
  private readonly staleSockets = { resent: 0, 'not-resent': 0 };
  private latencyCount = 0;
  private latencySum = 0;
  requestBytes = 0;
  responseBytes = 0;

  request(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  refused(reason: ProxyRefusalReason): void {
    bump(this.refusals, reason);
  }

  signatureRefused(kind: string): void {
    bump(this.signatureRefusals, kind);
  }

  /** A kept-alive upstream socket failed before any answer: the request was sent again, or (not safe to repeat) not. */
  staleSocket(resent: boolean): void {
    this.staleSockets[resent ? 'resent' : 'not-resent']++;
  }

  upstreamLatency(ms: number): void {
    const s = ms / 1000;
    this.latencyCount++;
    this.latencySum += s;
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) if (s <= LATENCY_BUCKETS_S[i]!) this.buckets[i]!++;
  }

  render(credentials: CredentialCacheStats, inFlightBodyBytes: number): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string): void => { lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`); };
    family('aws_sigv4_proxy_requests_total', 'counter', 'Requests answered, by HTTP status.');
    for (const [status, n] of [...this.byStatus].sort((a, b) => a[0] - b[0])) lines.push(`aws_sigv4_proxy_requests_total{status="${status}"} ${n}`);
    family('aws_sigv4_proxy_refusals_total', 'counter', 'Requests the proxy answered itself instead of forwarding, by reason.');
    for (const [reason, n] of this.refusals) lines.push(`aws_sigv4_proxy_refusals_total{reason="${reason}"} ${n}`);
    family('aws_sigv4_proxy_signature_refusals_total', 'counter', 'Signature refusals from AWS, by kind.');
    for (const [kind, n] of this.signatureRefusals) lines.push(`aws_sigv4_proxy_signature_refusals_total{kind="${kind}"} ${n}`);
    family('aws_sigv4_proxy_credential_refreshes_total', 'counter', 'Credentials obtained from the provider.');
    lines.push(`aws_sigv4_proxy_credential_refreshes_total ${credentials.refreshes}`);
    family('aws_sigv4_proxy_credential_failures_total', 'counter', 'Credential provider calls that failed.');
    lines.push(`aws_sigv4_proxy_credential_failures_total ${credentials.providerFailures}`);
    family('aws_sigv4_proxy_request_body_bytes_total', 'counter', 'Request body bytes signed and sent upstream.');
    lines.push(`aws_sigv4_proxy_request_body_bytes_total ${this.requestBytes}`);
    family('aws_sigv4_proxy_response_body_bytes_total', 'counter', 'Response body bytes sent back to clients.');
    lines.push(`aws_sigv4_proxy_response_body_bytes_total ${this.responseBytes}`);
    family('aws_sigv4_proxy_inflight_body_bytes', 'gauge', 'Body bytes held in memory now: request bodies and error answers.');
    lines.push(`aws_sigv4_proxy_inflight_body_bytes ${inFlightBodyBytes}`);
    family('aws_sigv4_proxy_upstream_stale_sockets_total', 'counter', 'Requests whose kept-alive upstream socket failed before any answer, by outcome: resent, or not (unsafe to repeat; 502).');
    for (const [outcome, n] of Object.entries(this.staleSockets)) lines.push(`aws_sigv4_proxy_upstream_stale_sockets_total{outcome="${outcome}"} ${n}`);
    family('aws_sigv4_proxy_upstream_latency_seconds', 'histogram', 'Time from sending upstream to the response head.');
    LATENCY_BUCKETS_S.forEach((le, i) => lines.push(`aws_sigv4_proxy_upstream_latency_seconds_bucket{le="${le}"} ${this.buckets[i]}`));
    lines.push(`aws_sigv4_proxy_upstream_latency_seconds_bucket{le="+Inf"} ${this.latencyCount}`);
    lines.push(`aws_sigv4_proxy_upstream_latency_seconds_sum ${this.latencySum}`);
    lines.push(`aws_sigv4_proxy_upstream_latency_seconds_count ${this.latencyCount}`);
    return `${lines.join('\n')}\n`;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
