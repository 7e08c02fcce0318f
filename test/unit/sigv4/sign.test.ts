import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import type { SourceData } from '@smithy/types';
import { resetSigV4Caches } from '../../../src/sigv4/caches.js';
import type { SigV4Crypto } from '../../../src/sigv4/crypto.js';
import { presignRequest, signRequest } from '../../../src/sigv4/node-sign.js';
import { presignRequestWith, signRequestWith } from '../../../src/sigv4/sign.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'token/with+chars=' };
const signingDate = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));

class Sha256 extends Hash {
  constructor(secret?: SourceData) {
    super('sha256', secret);
  }
}

/** The plainest crypto there is: what the fast node one must equal. */
const plainCrypto: SigV4Crypto<Buffer> = {
  sha256Hex: (data) => createHash('sha256').update(data).digest('hex'),
  signingKey: (secret, day, region, service) => {
    const h = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
    return h(h(h(h(`AWS4${secret}`, day), region), service), 'aws4_request');
  },
  hmacHex: (key, text) => createHmac('sha256', key).update(text, 'utf8').digest('hex'),
};

describe('sigv4 sign and presign (the composition)', function () {
  beforeEach(resetSigV4Caches);

  it('gives the same result through any SigV4Crypto', function () {
    const request = { method: 'POST', url: 'https://h.eu-west-1.es.amazonaws.com/logs-*/_search?b=2&a=1', headers: { 'Content-Type': 'application/json' }, body: '{"q":"é"}' };
    const options = { region: 'eu-west-1', service: 'aoss', credentials, signingDate };
    assert.deepEqual(signRequestWith(plainCrypto, request, options), signRequest(request, options));
    assert.deepEqual(presignRequestWith(plainCrypto, request, options), presignRequest(request, options));
  });

  it('signs as @smithy/signature-v4 does (an independent signer)', async function () {
    const smithy = new SignatureV4({ credentials, region: 'us-east-1', service: 'service', sha256: Sha256, uriEscapePath: true, applyChecksum: false });
    const ours = signRequest({ method: 'GET', url: 'https://example.amazonaws.com/a%20b?Param2=value2&Param1=value1' }, { region: 'us-east-1', service: 'service', credentials, signingDate });
    const theirs = await smithy.sign({
      method: 'GET', protocol: 'https:', hostname: 'example.amazonaws.com', path: '/a%20b', query: { Param2: 'value2', Param1: 'value1' },
      headers: { host: 'example.amazonaws.com' },
    }, { signingDate });
    assert.equal(ours.headers.authorization, theirs.headers.authorization);
  });

  it('keeps the step modules free of node: imports and Buffer, so a WebCrypto signer can reuse them', function () {
    const dir = join(__dirname, '..', '..', '..', 'src', 'sigv4');
    // sign.ts is node-free too (both drivers); node-sign.ts binds it to node:crypto.
    const nodeBound = new Set(['node-crypto.ts', 'signing-key.ts', 'one-shot-hash.ts', 'index.ts', 'node-sign.ts']);
    const steps = readdirSync(dir).filter((f) => f.endsWith('.ts') && !nodeBound.has(f));
    assert.ok(steps.length >= 10, steps.join(', '));
    for (const file of steps) {
      const code = readFileSync(join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      assert.doesNotMatch(code, /from '(node:|\.\/(node-crypto|signing-key|one-shot-hash|node-sign|index)\.js)/, file);
      assert.doesNotMatch(code, /\bBuffer[.<(]|:\s*Buffer\b/, file);
    }
  });
});
