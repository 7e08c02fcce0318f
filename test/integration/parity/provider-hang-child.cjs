// Child of provider-hang.test.ts: one request (es9's Client over ours, or createSignedFetch)
// whose credential provider never settles, with nothing else keeping the process alive (es9
// has no default requestTimeout, fetch none). Prints what the request ended with; a process
// that exits mid-await prints nothing and exits 0.
'use strict';
const http = require('node:http');
const [, , mode] = process.argv;
const { withSigV4Promise } = require('../../../dist/cjs/adapters/promise-connection.js');
const { createSignedFetch } = require('../../../dist/cjs/index.js');

const options = { region: 'us-east-1', service: 'es', credentials: () => new Promise(() => undefined), credentialCache: { providerTimeoutMs: 300 } };
const server = http.createServer((req, res) => res.end('{}')).listen(0, '127.0.0.1', async () => {
  // The listening server must not be what keeps the process alive.
  server.unref();
  const url = `http://127.0.0.1:${server.address().port}`;
  const started = Date.now();
  try {
    if (mode === 'fetch') {
      await createSignedFetch(options)(`${url}/`);
    } else {
      const es9 = require('es9');
      const client = new es9.Client({ node: url, Connection: withSigV4Promise(es9.HttpConnection, es9.errors, options), maxRetries: 0 });
      await client.info();
    }
    process.stdout.write(JSON.stringify({ answered: true, ms: Date.now() - started }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ name: error.name, code: error.code, ms: Date.now() - started }));
    process.exitCode = 1;
  }
});
