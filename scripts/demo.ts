// The end-to-end demo (`npm run demo`): a real OpenSearch on 127.0.0.1 behind the verifying
// stub, which checks every SigV4 signature as AWS does (with @smithy/signature-v4, not our
// signer). The OpenSearch client indexes and searches through AwsSigV4Connection; the demo
// prints what was signed and what the stub verified, then stops everything.
import { Client } from '@opensearch-project/opensearch';
import { AwsSigV4Connection } from '../src/opensearch.js';
import { signatureRejectionOf, type SigningEvent } from '../src/index.js';
import { VerifyProxy } from '../src/testing/index.js';
import { startServer, stopInstance, type Instance } from './servers-lib.js';

// Local test identity: the stub plays AWS and knows it. Never an AWS secret.
const credentials = { accessKeyId: 'AKIDDEMO000000000001', secretAccessKey: 'demo/Secret+0000000000000000000000000000' };
const DOCS = 5000;

async function main(): Promise<void> {
  let server: Instance | undefined;
  let stub: VerifyProxy | undefined;
  let client: Client | undefined;
  try {
    console.log('1. Starting OpenSearch 3.x on 127.0.0.1 (first run downloads it from Maven Central)...');
    server = await startServer('opensearch@3', { owner: 'cli', watchParent: true, log: (m) => console.log(`   ${m}`) });
    console.log(`   OpenSearch ${server.version} at ${server.url}`);

    stub = await VerifyProxy.start({ target: server.url, service: 'es', region: 'eu-west-1', credentials: [credentials] });
    console.log(`2. Verifying stub (plays Amazon OpenSearch Service, service "es", region eu-west-1) at ${stub.url}`);

    let first: SigningEvent | undefined;
    let signed = 0;
    const Connection = AwsSigV4Connection.configure({
      region: 'eu-west-1', // a loopback host names no region; an AWS endpoint would
      credentials,
      onSign: (event) => { signed++; if (event.method === 'POST') first ??= event; },
    });
    client = new Client({ node: stub.url, Connection });

    console.log(`3. Bulk-indexing ${DOCS} documents with the bulk helper, through AwsSigV4Connection...`);
    const index = 'demo-logs';
    await client.indices.delete({ index }, { ignore: [404] });
    const levels = ['info', 'warn', 'error'];
    const t0 = Date.now();
    const bulk = await client.helpers.bulk({
      datasource: Array.from({ length: DOCS }, (_, i) => ({
        '@timestamp': new Date(Date.UTC(2026, 10, 23, 0, 0, i)).toISOString(),
        level: levels[i % 3],
        message: `request ${i} from user-${i % 97} é/ü "quoted" +plus`,
      })),
      onDocument: () => ({ index: { _index: index } }),
      flushBytes: 200_000,
      refreshOnCompletion: index,
    });
    console.log(`   ${bulk.successful} indexed, ${bulk.failed} failed, in ${Date.now() - t0} ms`);

    const errors = await client.search({ index, q: 'level:error AND message:"user-7"', size: 3 });
    console.log(`4. Search q='level:error AND message:"user-7"': ${(errors.body.hits.total as { value: number }).value} hits, e.g. "${errors.body.hits.hits[0]?._source?.message}"`);
    const byLevel = await client.transport.request({ method: 'POST', path: `/${index}/_search`, body: { size: 0, aggs: { levels: { terms: { field: 'level.keyword' } } } } });
    const buckets = (byLevel.body as { aggregations: { levels: { buckets: Array<{ key: string; doc_count: number }> } } }).aggregations.levels.buckets;
    console.log(`   By level: ${buckets.map((b) => `${b.key}=${b.doc_count}`).join(', ')}`);

    console.log('5. What was signed (the first bulk request; secrets never shown):');
    console.log(`   ${first?.method} ${first?.url}  region=${first?.region} service=${first?.service} key=${first?.accessKeyId}`);
    console.log(`   SignedHeaders: ${first?.signedHeaders}`);
    console.log(`   Canonical request:\n${first?.canonicalRequest.split('\n').map((l) => `     | ${l}`).join('\n')}`);

    const stats = stub.stats();
    console.log(`6. The stub verified ${stub.records.length} requests (${signed} signed): ${stats.accepted} accepted, ${stats.rejected} rejected.`);

    const wrong = new Client({ node: stub.url, maxRetries: 0, Connection: AwsSigV4Connection.configure({ region: 'eu-west-1', credentials: { ...credentials, secretAccessKey: 'not/the+right0000000000000000000000000000' } }) });
    const refused = await wrong.info().then(() => undefined, (e: unknown) => e);
    await wrong.close();
    // A refusal no retry can fix comes back once, as the client's own 403 (the node stays alive), with our classification on it.
    const rejection = signatureRejectionOf(refused);
    if (rejection === undefined) throw new Error('the wrong-secret request was not refused as a signature mismatch');
    console.log(`7. And with a wrong secret key: the client's ${(refused as Error).name} (403), classified by signatureRejectionOf(): ` +
      `${rejection.code} (${rejection.kind}); first difference: ${rejection.firstDifference ?? 'n/a'}`);
    if (stats.rejected !== 0 || stats.accepted !== signed) throw new Error('some requests were not verified');
    console.log('\nEvery request was signed and verified. Stopping everything.');
  } finally {
    await client?.close().catch(() => undefined);
    await stub?.close().catch(() => undefined);
    if (server) await stopInstance(server);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
