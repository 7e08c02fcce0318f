/** What a command writes to and reads from: the process's streams, or a test's. */
export type Writer = { write(chunk: string | Uint8Array): unknown };

export interface CliIo {
  stdout?: Writer;
  stderr?: Writer;
  /** Read by `--data @-`. Default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** For AWS_REGION / AWS_DEFAULT_REGION and AWS_SIGV4_PROXY_TOKEN. Default process.env (the credential chain always reads process.env). */
  env?: NodeJS.ProcessEnv;
  /** Stop `proxy` and `verify-proxy` on SIGINT/SIGTERM. Default true. */
  handleSignals?: boolean;
  /** Receives the running server of `proxy` and `verify-proxy`, e.g. to close it in a test. */
  onServer?: (server: { url: string; close(): Promise<void> }) => void;
}

/** A command's view of the I/O, resolved once. */
export interface CommandIo {
  io: CliIo;
  out: Writer;
  err: Writer;
  env: NodeJS.ProcessEnv;
  /** One line on stderr, prefixed with the program name. */
  warn(message: string): void;
}

export function commandIo(io: CliIo): CommandIo {
  const err = io.stderr ?? process.stderr;
  return {
    io,
    out: io.stdout ?? process.stdout,
    err,
    env: io.env ?? process.env,
    warn: (message) => { err.write(`aws-sigv4-connection: warning: ${message}\n`); },
  };
}
