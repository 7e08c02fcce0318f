/**
 * The abort/timeout race for every wait before a request is on the wire (credentials,
 * body reading). The stock Connections end at once on an abort or when `requestTimeout`
 * passes, with their own error classes; while we wait there is no socket to do it for
 * us, so every wait goes through here and ends the same way.
 */

/** What a front end says about ending its waits. */
export interface WaitGuard {
  /**
   * Aborts every wait: the client's signal, or a function that makes one the first time a
   * wait starts (an AbortController costs microseconds, and a request sent at once, the
   * callback Connections' fast path, never needs the one behind their `abort()`).
   */
  signal?: AbortSignal | (() => AbortSignal);
  /** Milliseconds from the start of the request (not of each wait) after which it times out. */
  timeoutMs?: number;
  /** The error an abort ends with: the client's RequestAbortedError, fetch's AbortError... */
  aborted: (reason: unknown) => Error;
  /** The error a timeout ends with: the client's TimeoutError. */
  timedOut: () => Error;
  /**
   * The error a failing body source (a stream that errored or was destroyed) ends with, where
   * the stock class ends with one of its own: the callback clients' RequestAbortedError, which
   * leaves the node alive, UndiciConnection's ConnectionError. Without it, the source's own error.
   */
  sourceFailed?: (error: Error) => Error;
}

/** One request's guard, with the deadline fixed when the request started. */
export class Deadline {
  private readonly endsAt: number | undefined;
  private made: AbortSignal | undefined;

  constructor(readonly guard: WaitGuard) {
    const ms = guard.timeoutMs;
    this.endsAt = ms !== undefined && ms !== null && Number.isFinite(ms) && ms > 0 ? Date.now() + ms : undefined;
  }

  /**
   * What is left of the timeout once something was waited for (credentials, a stream body),
   * at least 1 ms; undefined with no timeout or no wait (the timeout as given stands). The
   * stock class's own timer starts only when it sends: given the whole timeout then, a 400 ms
   * requestTimeout after a 250 ms credential fetch ended at 650 ms.
   */
  timeLeftMs(): number | undefined {
    if (this.endsAt === undefined) return undefined;
    const left = this.endsAt - Date.now();
    return left >= (this.guard.timeoutMs as number) ? undefined : Math.max(1, left);
  }

  /** The guard's signal; a lazy one is made only when `make` (a wait starts): before that nobody can have aborted it. */
  private signal(make: boolean): AbortSignal | undefined {
    const signal = this.guard.signal;
    if (typeof signal !== 'function') return signal;
    if (make) this.made ??= signal();
    return this.made;
  }

  /** Throws the abort error now if the signal already fired: no wait may start after an abort. */
  check(): void {
    const signal = this.signal(false);
    if (signal?.aborted) throw this.guard.aborted(signal.reason);
  }

  /**
   * `work`, or the abort or timeout error, whichever comes first. `cancel` runs when the
   * race is lost, so the work stops (a stream destroyed) instead of running on unseen.
   */
  race<T>(work: Promise<T>, cancel?: (error: Error) => void): Promise<T> {
    const signal = this.signal(true);
    if (signal === undefined && this.endsAt === undefined) return work;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (error: Error | undefined, value?: T) => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) return resolve(value as T);
        reject(error);
      };
      const lose = (error: Error) => {
        settle(error);
        cancel?.(error);
        // The lost work may still reject later: nobody is listening, and that is fine.
        work.catch(() => undefined);
      };
      const onAbort = () => lose(this.guard.aborted(signal?.reason));
      if (signal?.aborted) return onAbort();
      if (this.endsAt !== undefined) {
        const left = this.endsAt - Date.now();
        if (left <= 0) return lose(this.guard.timedOut());
        timer = setTimeout(() => lose(this.guard.timedOut()), left);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      work.then((value) => settle(undefined, value), (error: Error) => settle(error));
    });
  }
}
