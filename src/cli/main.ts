#!/usr/bin/env node
/**
 * The `aws-sigv4-connection` bin (the CommonJS build of this file):
 *
 *   aws-sigv4-connection request GET https://search-logs-abc.eu-west-1.es.amazonaws.com/_cluster/health
 *   aws-sigv4-connection proxy --target https://vpc-logs-abc.eu-west-1.es.amazonaws.com --port 9200
 *   aws-sigv4-connection verify-proxy --target http://127.0.0.1:9200 --service es
 */
import { describeError, EXIT_FAILED } from './exit-codes.js';
import { runCli } from './program.js';

// A reader that went away (`| head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});
runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`aws-sigv4-connection: ${describeError(error)}\n`);
    process.exitCode = EXIT_FAILED;
  },
);
