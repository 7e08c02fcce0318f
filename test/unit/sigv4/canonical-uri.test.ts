import assert from 'node:assert/strict';
import { canonicalUri, removeDotSegments, uriEncodePath } from '../../../src/sigv4/canonical-uri.js';

describe('sigv4 canonical URI', function () {
  it('removes dot segments and collapses // as botocore does', function () {
    assert.equal(removeDotSegments(''), '/');
    assert.equal(removeDotSegments('/a/./b/../c'), '/a/c');
    assert.equal(removeDotSegments('//a//b/'), '/a/b/');
    assert.equal(removeDotSegments('/..'), '/');
    assert.equal(removeDotSegments('/a/b'), '/a/b');
  });

  it('encodes the wire path once more, keeping /', function () {
    assert.equal(canonicalUri('/a%20b'), '/a%2520b');
    assert.equal(canonicalUri('/logs-*/_search'), '/logs-%2A/_search');
    assert.equal(canonicalUri("/!'()*"), '/%21%27%28%29%2A');
    assert.equal(uriEncodePath('/é'), '/%C3%A9');
    assert.equal(uriEncodePath('/plain-path_~.'), '/plain-path_~.');
  });

  it('remembers only the last path: alternating paths each get their own canonical URI', function () {
    for (let i = 0; i < 3; i++) {
      assert.equal(canonicalUri('/logs-*/_search'), '/logs-%2A/_search');
      assert.equal(canonicalUri('/a/./b/../c%2F'), '/a/c%252F');
      assert.equal(canonicalUri('/logs-*/_search'), '/logs-%2A/_search');
      assert.equal(canonicalUri('/logs-*/_search/'), '/logs-%2A/_search/');
    }
  });
});
