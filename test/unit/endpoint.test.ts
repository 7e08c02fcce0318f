import assert from 'node:assert/strict';
import { resolveEndpoint, ConfigurationError } from '../../src/index.js';

describe('resolveEndpoint: region and service from every AWS host form', () => {
  const noEnv = { env: {} };
  const cases: Array<[string, string, string]> = [
    ['https://search-logs-abc123.eu-west-1.es.amazonaws.com', 'eu-west-1', 'es'],
    ['https://vpc-logs-abc123.us-east-2.es.amazonaws.com:443/prefix', 'us-east-2', 'es'],
    ['https://abc123def.us-east-1.aoss.amazonaws.com', 'us-east-1', 'aoss'],
    ['https://search-x.cn-north-1.es.amazonaws.com.cn', 'cn-north-1', 'es'],
    ['https://x.cn-northwest-1.aoss.amazonaws.com.cn', 'cn-northwest-1', 'aoss'],
    ['https://search-gov.us-gov-west-1.es.amazonaws.com', 'us-gov-west-1', 'es'],
    ['https://search-fips.us-gov-east-1.es-fips.amazonaws.com', 'us-gov-east-1', 'es'],
    ['https://search-logs-abc.aos.eu-central-1.on.aws', 'eu-central-1', 'es'],
    ['https://abc.aoss.ap-southeast-2.on.aws', 'ap-southeast-2', 'aoss'],
    ['https://SEARCH-UPPER.EU-WEST-3.ES.AMAZONAWS.COM', 'eu-west-3', 'es'],
    ['https://abc.execute-api.us-west-2.amazonaws.com/prod', 'us-west-2', 'execute-api'],
  ];
  for (const [url, region, service] of cases) {
    it(`${new URL(url).hostname} -> ${region} / ${service}`, () => {
      const r = resolveEndpoint(url, noEnv);
      assert.deepEqual([r.region, r.service, r.source], [region, service, 'host']);
    });
  }

  it('a host that names no region falls back to AWS_REGION, then AWS_DEFAULT_REGION, with service es', () => {
    for (const url of ['https://search.example.com', 'http://127.0.0.1:9200', 'https://vpce-0abc-xyz.vpce-svc-123.us-east-1.vpce.amazonaws.com.example']) {
      assert.deepEqual(resolveEndpoint(url, { env: { AWS_REGION: 'eu-north-1', AWS_DEFAULT_REGION: 'x' } }), {
        region: 'eu-north-1', service: 'es', hostname: new URL(url).hostname, source: 'environment',
      });
      assert.equal(resolveEndpoint(url, { env: { AWS_DEFAULT_REGION: 'sa-east-1' } }).region, 'sa-east-1');
    }
  });

  it('explicit options win over the host', () => {
    const r = resolveEndpoint('https://search-x.eu-west-1.es.amazonaws.com', { region: 'us-east-1', service: 'aoss', env: {} });
    assert.deepEqual([r.region, r.service, r.source], ['us-east-1', 'aoss', 'options']);
  });

  it('no region anywhere: a typed error that names the fix', () => {
    assert.throws(() => resolveEndpoint('https://search.example.com', noEnv), (e: unknown) =>
      e instanceof ConfigurationError && e.code === 'ERR_MISSING_REGION' && /region/.test(e.message) && /AWS_REGION/.test(e.message));
  });

  it('not a URL: a typed error', () => {
    assert.throws(() => resolveEndpoint('search-x.eu-west-1', noEnv), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_URL');
  });
});
