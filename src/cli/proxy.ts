/**
 * `proxy`: the local signing proxy, on a laptop or as a sidecar. Safe by default: bound
 * to loopback, refusing foreign Host names and cross-site browser requests, requiring an
 * inbound credential beyond loopback. Its modules are loaded when it runs.
 */
import { Command, Option } from 'commander';
import type { LogFormat } from '../proxy/access-log.js';
import { UsageError, EXIT_OK, formatError } from './exit-codes.js';
import {
  addListenFlags, addSigningFlags, checkHeaderNames, checkHostNames, checkInboundToken, checkOrigins, collect, count, duration, listenAddress, nonNegative,
  parseHeaderLines, parseHttpUrl, type ListenFlags, type SigningFlags,
} from './flags.js';
import type { CommandIo } from './io.js';
import { readTlsFiles, stopOnSignals } from './server-lifecycle.js';

interface ProxyFlags extends SigningFlags, ListenFlags {
  target: string;
  host?: string;
  maxBodyBytes?: number;
  maxInflightBodyBytes?: number;
  upstreamTimeout: number;
  upstreamIdleTimeout: number;
  bodyIdleTimeout: number;
  headerTimeout: number;
  maxConnections?: number;
  shutdownTimeout: number;
  allowHost: string[];
  allowOrigin: string[];
  authToken?: string;
  basicAuth?: string;
  allowUnauthenticatedRemote?: boolean;
  healthPath?: string;
  readyPath?: string;
  metricsPath?: string;
  tlsCert?: string;
  tlsKey?: string;
  addHeader: string[];
  stripHeader: string[];
  logFormat: LogFormat;
  quiet?: boolean;
}

const DEFAULT_PORT = 9200;

export function proxyCommand(cio: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('proxy')
    .description('local signing proxy: unmodified tools (curl, Dashboards, Kibana, Grafana, legacy clients) reach an AWS domain through it')
    .requiredOption('--target <url>', 'the endpoint to sign for, e.g. https://vpc-logs-abc.eu-west-1.es.amazonaws.com (a path is a prefix requests stay under)');
  addListenFlags(command, DEFAULT_PORT, '; beyond loopback it needs --auth-token, --basic-auth or --allow-unauthenticated-remote');
  addSigningFlags(command, '--target')
    .option('--auth-token <token>', 'require Authorization: Bearer <token> from clients, a random one of 128 bits or more, e.g. from openssl rand -hex 32 (prefer the AWS_SIGV4_PROXY_TOKEN variable: flags show in ps)')
    .option('--basic-auth <user:password>', 'require this HTTP basic auth from clients (or AWS_SIGV4_PROXY_BASIC_AUTH)')
    .option('--allow-unauthenticated-remote', 'listen beyond loopback without an inbound credential (anyone who reaches the port acts as your AWS identity)')
    .option('--allow-host <name>', 'accept requests whose Host is this name, besides the listen address and localhost (repeatable)', collect, [] as string[])
    .option('--allow-origin <origin>', 'accept browser requests from this origin, e.g. https://grafana.example.com (repeatable; its CORS preflights are answered here); "*" allows every web page', collect, [] as string[])
    .option('--max-body-bytes <n>', 'bodies are buffered to be hashed up to this size; larger ones get 413 (default 104857600)', nonNegative)
    .option('--max-inflight-body-bytes <n>', 'total body bytes held at once (request bodies, and error answers read to be scrubbed); past it 503 with Retry-After (default 268435456)', nonNegative)
    .addOption(new Option('--upstream-timeout <duration>', 'no answer from the target for this long (30s, 500ms, 2m): 504').argParser(duration).default(120_000, '2m'))
    .addOption(new Option('--upstream-idle-timeout <duration>', 'close an upstream connection idle this long, before the target does (a target announcing Keep-Alive: timeout=N: 1s before that); 0 keeps none').argParser(duration).default(4000, '4s'))
    .addOption(new Option('--body-idle-timeout <duration>', 'no byte of a request body for this long while it is read: 408, connection closed; a client taking none of an error answer this long is cut off').argParser(duration).default(30_000, '30s'))
    .addOption(new Option('--header-timeout <duration>', 'a connection that has not sent its whole request head for this long: 408, closed (it holds a descriptor before any credential is read)').argParser(duration).default(15_000, '15s'))
    .option('--max-connections <n>', 'inbound connections at once; past it new ones are dropped, so they cannot use up the descriptors the proxy needs (default: half the open-files soft limit where readable, else none; 0: no cap)', count)
    .addOption(new Option('--shutdown-timeout <duration>', 'on SIGTERM, let requests in flight finish for up to this long').argParser(duration).default(10_000, '10s'))
    .option('--health-path <path>', 'answer 200 on this path without calling AWS (liveness)')
    .option('--ready-path <path>', 'answer 200 on this path when credentials resolve, else 503 (readiness; why is in the log only)')
    .option('--metrics-path <path>', 'Prometheus text metrics on this path')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'and this PEM key')
    .option('--add-header <header>', "set 'Name: value' on every forwarded request (signed; repeatable)", collect, [] as string[])
    .option('--strip-header <name>', 'remove this header from every request before signing (repeatable)', collect, [] as string[])
    .addOption(new Option('--log-format <format>', 'access log on stderr, one line per request').choices(['text', 'json']).default('text'))
    .option('--quiet', 'no access log')
    // An argument here is a mistake (a value whose flag was left out): refused, never quoted.
    .allowExcessArguments(false);
  return command.action(async (flags: ProxyFlags) => {
    setExit(await runProxy(flags, cio));
  });
}

async function runProxy(flags: ProxyFlags, cio: CommandIo): Promise<number> {
  const { host: listenHost, port } = listenAddress(flags, DEFAULT_PORT, cio);
  const target = parseHttpUrl(flags.target, '--target');
  if (target.search || target.hash) throw new UsageError('bad --target: it takes no query or fragment.');
  for (const path of [flags.healthPath, flags.readyPath, flags.metricsPath]) {
    if (path !== undefined && !path.startsWith('/')) throw new UsageError(`bad path "${path.slice(0, 100)}": --health-path, --ready-path and --metrics-path start with /.`);
  }
  // Each of these, wrong, would let the proxy start and then fail or refuse every request: refused here.
  const addHeaders = parseHeaderLines(flags.addHeader, '--add-header');
  const stripHeaders = checkHeaderNames(flags.stripHeader, '--strip-header');
  const allowHosts = checkHostNames(flags.allowHost, '--allow-host');
  const allowOrigins = checkOrigins(flags.allowOrigin, '--allow-origin');
  const token = checkInboundToken(flags.authToken, '--auth-token') ?? checkInboundToken(cio.env.AWS_SIGV4_PROXY_TOKEN, 'AWS_SIGV4_PROXY_TOKEN');
  const [{ resolveEndpoint }, { SigningProxy }, { credentialsFromFlags }, { formatLogLine }] = await Promise.all([
    import('../endpoint.js'), import('../proxy/signing-proxy.js'), import('./credential-flags.js'), import('../proxy/access-log.js'),
  ]);
  const { region, service } = resolveEndpoint(flags.signingHost ? `https://${flags.signingHost}` : target, { region: flags.region, service: flags.service, env: cio.env });
  const server = await SigningProxy.start({
    target,
    listenHost,
    port,
    tls: readTlsFiles(flags.tlsKey, flags.tlsCert),
    allowHosts,
    allowOrigins,
    inboundAuth: { token, basic: flags.basicAuth ?? cio.env.AWS_SIGV4_PROXY_BASIC_AUTH },
    allowUnauthenticatedRemote: flags.allowUnauthenticatedRemote,
    upstreamTimeoutMs: flags.upstreamTimeout,
    upstreamIdleTimeoutMs: flags.upstreamIdleTimeout,
    bodyIdleTimeoutMs: flags.bodyIdleTimeout,
    headerTimeoutMs: flags.headerTimeout,
    maxConnections: flags.maxConnections,
    maxInflightBodyBytes: flags.maxInflightBodyBytes,
    healthPath: flags.healthPath,
    readyPath: flags.readyPath,
    metricsPath: flags.metricsPath,
    addHeaders,
    stripHeaders,
    signing: {
      region,
      service,
      host: flags.signingHost,
      credentials: credentialsFromFlags(flags, region),
      contentSha256: flags.contentSha256,
      maxBufferedBodyBytes: flags.maxBodyBytes,
    },
    onRequest: flags.quiet ? undefined : (entry) => cio.err.write(formatLogLine(entry, flags.logFormat)),
    onRejection: (error) => cio.err.write(`${formatError(error)}\n`),
  });
  for (const warning of server.warnings) cio.warn(warning);
  // Credentials now, so a machine without any learns it at start rather than at the first request.
  try {
    await server.signer.credentials();
  } catch (error) {
    await server.close();
    throw error;
  }
  cio.out.write(`aws-sigv4-connection proxy listening on ${server.url} -> ${server.targetUrl} (service ${service}, region ${region}${flags.signingHost ? `, signed as ${flags.signingHost}` : ''})\n`);
  cio.io.onServer?.(server);
  if (cio.io.handleSignals ?? true) {
    stopOnSignals(() => server.close(flags.shutdownTimeout), () => cio.err.write('aws-sigv4-connection proxy stopped\n'));
  }
  return EXIT_OK;
}
