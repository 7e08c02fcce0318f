/** A chunked upload as a streaming tool writes it: piece by piece, a pause between, then the end. */
import type { ClientRequest } from 'node:http';

export function writeChunks(req: ClientRequest, chunks: ReadonlyArray<string | Buffer>, pauseMs: number): void {
  const pieces = [...chunks];
  const next = (): void => {
    const piece = pieces.shift();
    if (piece === undefined) {
      req.end();
      return;
    }
    req.write(piece);
    setTimeout(next, pauseMs);
  };
  next();
}
