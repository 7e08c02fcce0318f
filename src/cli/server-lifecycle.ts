/** What the two server commands share: their TLS files and how they stop. */
import { readFileSync } from 'node:fs';
import { UsageError } from './exit-codes.js';

export function readTlsFiles(keyFile: string | undefined, certFile: string | undefined): { key: Buffer; cert: Buffer } | undefined {
  if (keyFile === undefined && certFile === undefined) return undefined;
  if (keyFile === undefined || certFile === undefined) throw new UsageError('--tls-key and --tls-cert go together.');
  const read = (file: string, flag: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new UsageError(`cannot read ${flag} "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  return { key: read(keyFile, '--tls-key'), cert: read(certFile, '--tls-cert') };
}

/** On the first SIGINT or SIGTERM: stop (gracefully, as `close` does), then report. */
export function stopOnSignals(close: () => Promise<void>, stopped: () => void): void {
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    void close().then(stopped);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
