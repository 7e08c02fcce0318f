/**
 * The one commander program of `aws-sigv4-connection`. Each command lives in its own
 * module and loads what it needs only when it runs, so `--help`, `--version` and every
 * command work without the optional peers the others use.
 *
 * Exit codes (./exit-codes.ts): 0 success (2xx, or a server that started), 1 an HTTP
 * error or a failure at run time (credentials, network), 2 bad usage or configuration.
 * Nothing printed ever holds a secret key, session token or signature.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { EXIT_OK, exitCodeOf } from './exit-codes.js';
import { isQuotable } from './flags.js';
import { commandIo, type CliIo } from './io.js';
import { proxyCommand } from './proxy.js';
import { requestCommand } from './request.js';
import { verifyProxyCommand } from './verify-proxy.js';

export type { CliIo } from './io.js';

/**
 * Runs the CLI with `argv` holding the arguments alone (`process.argv.slice(2)`). Resolves
 * with the exit code; for `proxy` and `verify-proxy` as soon as the server listens (it
 * then keeps the process alive until SIGINT/SIGTERM).
 */
/**
 * Where commander writes. Its errors quote the argument they could not read, and a value in
 * the wrong place may be a secret: a mistyped `--secret-acess-key=VALUE` or
 * `--basic-auht=user:pass` (the value after `=` is left out), a key or token typed where
 * the command belongs (an unknown command is never quoted: the known ones are listed), or
 * given to a flag that takes a number (quoted only when short and not secret-shaped).
 */
function output(cio: ReturnType<typeof commandIo>, commands: readonly string[]) {
  return {
    writeOut: (s: string) => cio.out.write(s),
    writeErr: (s: string) => cio.err.write(s),
    outputError: (s: string, write: (s: string) => void) => write(withoutValues(s, commands)),
  };
}

function withoutValues(message: string, commands: readonly string[]): string {
  const command = /^error: unknown command '[\s\S]*?'(\n\(Did you mean [^\n]*\?\))?\n$/.exec(message);
  if (command) return `error: unknown command: the commands are ${commands.join(', ')}${command[1] ?? ''}\n`;
  const option = /^error: unknown option '([\s\S]*?)'(\n\(Did you mean [^\n]*\?\))?\n$/.exec(message);
  if (option) {
    const [flag, value] = [option[1]!.split('=', 1)[0]!, option[1]!.includes('=')];
    return `error: unknown option${isQuotable(flag) ? ` '${flag}${value ? '=...' : ''}'` : ' (not shown: it does not look like a flag)'}${option[2] ?? ''}\n`;
  }
  const argument = /^(error: option '[^']*' )argument '([\s\S]*?)'( is invalid\.[\s\S]*)$/.exec(message);
  if (argument && !isQuotable(argument[2]!)) return `${argument[1]}argument (not shown)${argument[3]}`;
  return message;
}

export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const cio = commandIo(io);
  let exitCode = EXIT_OK;
  const setExit = (code: number): void => { exitCode = code; };
  const program = new Command('aws-sigv4-connection')
    .description('AWS SigV4 from the shell: signed requests, a local signing proxy, and a signature-verifying stub.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  const commands = [requestCommand(cio, setExit), proxyCommand(cio, setExit), verifyProxyCommand(cio, setExit)];
  const names = commands.map((command) => command.name());
  program.configureOutput(output(cio, names));
  for (const command of commands) {
    program.addCommand(command.exitOverride().configureOutput(output(cio, names)).showHelpAfterError('(add --help for usage)'));
  }
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return exitCode;
  } catch (error) {
    return exitCodeOf(error, (message) => cio.err.write(`aws-sigv4-connection: ${message}\n`));
  }
}

/** The installed package's version: package.json sits two levels above dist/{cjs,esm}/cli/ and above src/cli/. */
function packageVersion(): string {
  const here = typeof __dirname === 'string' ? __dirname : '';
  for (const up of [['..', '..', '..'], ['..', '..']]) {
    try {
      const pkg = JSON.parse(readFileSync(join(here, ...up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'aws-sigv4-connection' && pkg.version) return pkg.version;
    } catch {
      // not this level
    }
  }
  return 'unknown';
}
