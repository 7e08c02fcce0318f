// Child of callback-throw.test.ts: one family's stock Connection and ours (the built
// package) each call back into a callback that throws; prints which process event saw it.
'use strict';
const http = require('node:http');
const [, , pkg] = process.argv;
const mod = require(pkg);
const { withSigV4Callback } = require('../../../dist/cjs/adapters/callback-connection.js');
const ours = withSigV4Callback(mod.Connection, mod.errors, {
  region: 'us-east-1', service: 'es', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
});
let seen = [];
process.on('uncaughtException', (e) => seen.push(`uncaughtException: ${e.message}`));
process.on('unhandledRejection', (e) => seen.push(`unhandledRejection: ${e.message}`));
const server = http.createServer((req, res) => res.end('{}')).listen(0, '127.0.0.1', async () => {
  const url = new URL(`http://127.0.0.1:${server.address().port}`);
  const out = {};
  for (const [name, Connection] of [['stock', mod.Connection], ['ours', ours]]) {
    seen = [];
    await new Promise((resolve) => {
      new Connection({ url }).request({ method: 'GET', path: '/' }, () => {
        setTimeout(resolve, 50);
        throw new Error('thrown by the callback');
      });
    });
    out[name] = seen;
  }
  server.close();
  process.stdout.write(JSON.stringify(out));
});
