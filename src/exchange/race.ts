/**
 * The abort/timeout race for every wait before a request is on the wire (credentials,
 * body reading). The stock Connections end at once on an abort, or when `requestTimeout`
 * passes with nothing coming, with their own error classes; while we wait there is no
 * socket to do it for us, so every wait goes through here and ends the same way.
 */

/** What a front end says about ending its waits. */
export interface WaitGuard {
  /**
   * Aborts every wait: the client's signal, or a function that makes one the first time a
   * wait starts (an AbortController costs microseconds, and a request sent at once, the
   * callback Connections' fast path, never needs the one behind their `abort()`).
   */
  signal?: AbortSignal | (() => AbortSignal);
  /** The client's requestTimeout, counted as `timeoutCounts` says. */
  timeoutMs?: number;
  /**
   * How the stock class counts its timeout, and so ours in the waits before it sends:
   *   - 'silence' (node:http's socket timeout; the default): each wait has the whole timeout,
   *     a body stream between two chunks (touch), and the stock class the whole of it when it
   *     sends. A body that keeps coming for longer than the timeout is sent.
   *   - 'from-dispatch' (undici's headers timeout, from dispatch to the answer's head, a
   *     streamed upload included): the credential fetch, which stock does not make, has the
   *     whole timeout; from there (dispatch) the body read and the stock class's wait for the
   *     answer share one, the stock class given what is left (timeLeftMs). A body that takes
   *     longer than the timeout to come times out.
   */
  timeoutCounts?: 'silence' | 'from-dispatch';
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

/** One request's guard: each wait ends on an abort, or when the timeout passes as the stock class counts it. */
export class Deadline {
  private readonly ms: number | undefined;
  private readonly fromDispatch: boolean;
  /** Counting from dispatch, once dispatched: when the timeout passes, for every wait that follows. */
  private dispatchedEnd: number | undefined;
  /** When the wait under way times out: set as it starts, moved on by touch() (silences) or fixed at dispatch. */
  private endsAt = 0;
  private made: AbortSignal | undefined;

  constructor(readonly guard: WaitGuard) {
    const ms = guard.timeoutMs;
    this.ms = ms !== undefined && ms !== null && Number.isFinite(ms) && ms > 0 ? ms : undefined;
    this.fromDispatch = guard.timeoutCounts === 'from-dispatch';
  }

  /**
   * The request is where the stock class would have dispatched it (credentials in, the body
   * to read, or an attempt to send again): counting from dispatch, the count starts here.
   */
  dispatch(): void {
    if (this.fromDispatch && this.ms !== undefined) this.dispatchedEnd = Date.now() + this.ms;
  }

  /**
   * Something came (a chunk of the body): counting silences, the wait under way has the whole
   * timeout again. A field set, not a timer reset: the race's timer, when it fires, sleeps on.
   */
  touch(): void {
    if (this.ms !== undefined && !this.fromDispatch) this.endsAt = Date.now() + this.ms;
  }

  /**
   * Counting from dispatch, what is left of the timeout after the body read, at least 1 ms,
   * for the stock class's own timer; undefined when the timeout as given stands.
   */
  timeLeftMs(): number | undefined {
    if (this.dispatchedEnd === undefined || this.ms === undefined) return undefined;
    const left = this.dispatchedEnd - Date.now();
    return left >= this.ms ? undefined : Math.max(1, left);
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
    if (signal === undefined && this.ms === undefined) return work;
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
      if (this.ms !== undefined) {
        this.endsAt = this.dispatchedEnd ?? Date.now() + this.ms;
        const expire = (): void => {
          const left = this.endsAt - Date.now();
          if (left > 0) timer = setTimeout(expire, left);
          else lose(this.guard.timedOut());
        };
        expire();
        if (timer === undefined) return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      work.then((value) => settle(undefined, value), (error: Error) => settle(error));
    });
  }
}
