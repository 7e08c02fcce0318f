// Preload for test/conformance/sigv4-fallback.test.ts: makes this process look like Node 18 / < 20.12,
// which have no crypto.hash, so the signer takes its createHash/createHmac path.
const crypto = require('node:crypto');
delete crypto.hash;
require('node:module').syncBuiltinESMExports();
if (typeof require('node:crypto').hash !== 'undefined') throw new Error('crypto.hash is still there');
