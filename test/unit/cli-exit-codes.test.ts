/** The CLI's one mapping from what went wrong to the exit code: 2 for what the command line fixes, 1 for the rest. */
import assert from 'node:assert/strict';
import { EXIT_FAILED, EXIT_USAGE, exitCodeOf, UsageError } from '../../src/cli/exit-codes.js';
import { ConfigurationError, CredentialsError } from '../../src/errors.js';

describe('CLI exit codes', () => {
  const quiet = () => {};
  it('bad usage and configuration exit 2', () => {
    assert.equal(exitCodeOf(new UsageError('bad flag'), quiet), EXIT_USAGE);
    assert.equal(exitCodeOf(new ConfigurationError('ERR_INVALID_OPTIONS', 'bad option'), quiet), EXIT_USAGE);
  });
  it("a target's error answer too large to read exits 1: the server's doing, no flag fixes it", () => {
    let printed = '';
    assert.equal(exitCodeOf(new ConfigurationError('ERR_RESPONSE_TOO_LARGE', 'too large'), (m) => { printed = m; }), EXIT_FAILED);
    assert.match(printed, /ERR_RESPONSE_TOO_LARGE/);
  });
  it('credential and other failures exit 1', () => {
    assert.equal(exitCodeOf(new CredentialsError('ERR_CREDENTIALS_PROVIDER', 'no'), quiet), EXIT_FAILED);
    assert.equal(exitCodeOf(new Error('ECONNREFUSED'), quiet), EXIT_FAILED);
  });
});
