/**
 * Region and signing service from a node's host name, so the zero-config form needs
 * nothing but the URL the user already has.
 */
import { ConfigurationError } from './errors.js';
import { assertObject, assertScopePart, quote, SCOPE_PART, typeName } from './sigv4/validate.js';
import { quotableUrl } from './sigv4/wire-url.js';

export interface ResolvedEndpoint {
  region: string;
  /** The signing name: `es` for OpenSearch Service domains, `aoss` for Serverless collections. */
  service: string;
  /** The host name, lower-case, without port. */
  hostname: string;
  /** Where the region came from. */
  source: 'host' | 'environment' | 'options';
}

export interface ResolveEndpointOptions {
  /** Wins over the host and the environment. */
  region?: string;
  /** Wins over the host; without it, a host that names no service signs for `es`. */
  service?: string;
  /** Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
}

const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';
// search-logs-abc.eu-west-1.es.amazonaws.com, vpc-..., abc.us-east-1.aoss.amazonaws.com,
// their China (.com.cn) and FIPS (es-fips, aoss-fips) forms; GovCloud regions are us-gov-*.
const AMAZONAWS = new RegExp(`(?:^|\\.)(${REGION})\\.(es|aoss)(?:-fips)?\\.amazonaws\\.com(?:\\.cn)?\\.?$`);
// Dual-stack: search-logs-abc.aos.eu-west-1.on.aws (and the aoss form).
const ON_AWS = new RegExp(`(?:^|\\.)(aos|aoss)\\.(${REGION})\\.on\\.aws\\.?$`);

// Other services name themselves before the region: abc.execute-api.us-east-1.amazonaws.com.
const SERVICE_REGION = new RegExp(`(?:^|\\.)([a-z0-9-]+)\\.(${REGION})\\.amazonaws\\.com(?:\\.cn)?\\.?$`);

/** The region and service a host name names, or undefined when it names none. */
export function regionAndServiceFromHost(hostname: string): { region: string; service: string } | undefined {
  if (typeof hostname !== 'string') throw new ConfigurationError('ERR_INVALID_OPTIONS', `regionAndServiceFromHost() takes a host name string, got ${typeName(hostname)}.`);
  const host = hostname.toLowerCase();
  const classic = AMAZONAWS.exec(host);
  if (classic) return { region: classic[1]!, service: classic[2]! };
  const dualStack = ON_AWS.exec(host);
  if (dualStack) return { region: dualStack[2]!, service: dualStack[1] === 'aos' ? 'es' : 'aoss' };
  const other = SERVICE_REGION.exec(host);
  if (other) return { region: other[2]!, service: other[1]! };
  return undefined;
}

/**
 * Resolves region and service for a node URL: explicit options first, then the host name,
 * then `AWS_REGION` / `AWS_DEFAULT_REGION` with service `es` (custom domains, VPC
 * endpoints, tunnels and local proxies name no region).
 */
export function resolveEndpoint(url: string | URL, options: ResolveEndpointOptions = {}): ResolvedEndpoint {
  assertObject(options, 'resolveEndpoint(url, options)', '{ region?, service?, env? }');
  // An empty string is "not given", as it always was here.
  if (options.region !== undefined && options.region !== '') assertScopePart(options.region, 'region', 'resolveEndpoint options');
  if (options.service !== undefined && options.service !== '') assertScopePart(options.service, 'service', 'resolveEndpoint options');
  if (options.env !== undefined) assertObject(options.env, 'resolveEndpoint options.env', 'such as process.env');
  let hostname: string;
  try {
    hostname = (typeof url === 'string' ? new URL(url) : url).hostname.toLowerCase();
  } catch {
    throw new ConfigurationError('ERR_INVALID_URL', `Not a URL: ${typeof url === 'string' ? JSON.stringify(quotableUrl(url)) : typeName(url)}. Give the node as an absolute URL, e.g. https://search-logs-abc.eu-west-1.es.amazonaws.com.`);
  }
  if (hostname === '') {
    throw new ConfigurationError('ERR_INVALID_URL', `The URL ${JSON.stringify(quotableUrl(String(url)))} has no host name.`);
  }
  const fromHost = regionAndServiceFromHost(hostname);
  const service = options.service || (fromHost?.service ?? 'es');
  if (options.region) return { region: options.region, service, hostname, source: 'options' };
  if (fromHost) return { region: fromHost.region, service, hostname, source: 'host' };
  // Workers and browsers have no `process`: there, only the options and the host name tell.
  const env = options.env ?? (typeof process === 'undefined' ? {} : process.env);
  const name = env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION';
  const region: unknown = env[name];
  if (region) {
    // Named as the variable it came from: a stray newline from a .env file or a secret
    // mount would otherwise be refused per request as an option the user never passed.
    if (typeof region !== 'string' || !SCOPE_PART.test(region)) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS',
        `The environment variable ${name} ${typeof region === 'string' ? quote(region) : `is ${typeName(region)}, which`} cannot go in a credential scope: ` +
          'set it to a region name such as "eu-west-1" (letters, digits, "-", "_" and "." only; check for a stray newline or space), or pass { region } to configure().');
    }
    return { region, service, hostname, source: 'environment' };
  }
  throw new ConfigurationError(
    'ERR_MISSING_REGION',
    `Cannot tell the AWS region for host "${hostname}": it is not a *.REGION.es.amazonaws.com, *.REGION.aoss.amazonaws.com or *.aos.REGION.on.aws name ` +
      '(a custom domain, VPC endpoint, tunnel or proxy). Pass { region } to AwsSigV4Connection.configure() or set AWS_REGION.',
  );
}
