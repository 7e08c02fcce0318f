/**
 * The one mapping from what went wrong to the process exit code: 0 success, 2 bad usage
 * or configuration (the user fixes the command line), 1 anything else. Every command
 * throws; only this module decides the code and prints the message.
 */
import { CommanderError } from 'commander';
import { AwsSigV4Error, ConfigurationError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad input the user can fix by changing the command line: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function exitCodeOf(error: unknown, fail: (message: string) => void): number {
  if (error instanceof CommanderError) {
    // Commander printed its own message already; help and version are not failures.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    if (error.code === 'commander.help' && error.exitCode === 0) return EXIT_OK;
    return EXIT_USAGE;
  }
  // The target's error answer too large to read is the server's doing, not the command line's.
  if (error instanceof UsageError || (error instanceof ConfigurationError && error.code !== 'ERR_RESPONSE_TOO_LARGE')) {
    // The library's message names configure(); on the command line the fix is a flag.
    const flag = error instanceof ConfigurationError && error.code === 'ERR_MISSING_REGION' ? ' On the command line: --region.' : '';
    fail(error instanceof ConfigurationError ? `${error.message}${flag} [${error.code}]` : error.message);
    return EXIT_USAGE;
  }
  fail(describeError(error));
  return EXIT_FAILED;
}

export function describeError(error: unknown): string {
  if (error instanceof AwsSigV4Error) return `${error.name} [${error.code}]: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** The typed error of a refusal, with its classification, for stderr. */
export function formatError(error: AwsSigV4Error): string {
  const lines = [`aws-sigv4-connection: ${error.name} [${error.code}]: ${error.message}`];
  const details = error as AwsSigV4Error & { kind?: string; hint?: string; firstDifference?: string };
  if (details.kind !== undefined) lines.push(`  kind: ${details.kind}`);
  if (details.hint !== undefined) lines.push(`  hint: ${details.hint}`);
  if (details.firstDifference !== undefined) lines.push(`  first difference: ${details.firstDifference}`);
  return lines.join('\n');
}
