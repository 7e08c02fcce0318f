// npx tsx scripts/verify-proxy.ts --target http://127.0.0.1:9200 --service es --region us-east-1
// (credentials from --access-key-id/--secret-access-key/--session-token or AWS_*; --help for all)
import { CommanderError } from 'commander';
import { runVerifyProxyCli } from '../src/testing/verify-proxy-cli.js';

runVerifyProxyCli(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // commander has printed help or its own error already, except for ours
    if (error.code === 'commander.invalidArgument' && !error.message.startsWith('error:')) process.stderr.write(`${error.message}\n`);
    process.exitCode = error.exitCode;
    return;
  }
  process.stderr.write(`verify-proxy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
