/**
 * The bytes of request bodies the proxy holds at once, across all requests. SigV4 signs
 * a hash of the whole body, so each is buffered before it goes upstream; without a cap,
 * ten concurrent 90 MiB uploads hold 900 MiB. A request whose body would pass the budget
 * is answered 503 with Retry-After instead. An error answer of the target is held the same
 * way (read whole, to be cleaned of signing secrets, before it is passed on), in the same
 * budget: N clients, or a hostile target, would otherwise hold N times the buffering bound.
 *
 * Bytes are counted as they arrive, not as declared: the budget is about memory held, and
 * a declared Content-Length costs a client nothing to send, so three idle clients declaring
 * 100 MiB each would otherwise lock every other body out. A body that has sent its first
 * MiB is read into one buffer of its declared length (held once, not as chunks and then
 * joined, which doubled the proxy's peak memory); that buffer's unread bytes are taken
 * ahead then (reserveAhead), so a body once started is not refused halfway for the budget,
 * and a client that stalls after its first MiB holds its declared length until
 * --body-idle-timeout ends it. A body without a declared length stays chunks to its end and
 * is then joined: the joined buffer is taken too while both are held, and the chunks' share
 * given back after (a chunked upload held about twice what the budget counted).
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.held;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  /** One request's share, taken chunk by chunk (`take`, the body reader's per-chunk hook). */
  hold(): BodyHold {
    return new BodyHold(this);
  }
}

export class BodyHold {
  private held = 0;
  /** Of `held`, the bytes taken ahead (reserveAhead) that no chunk has counted yet. */
  private ahead = 0;
  private released = false;
  private alone = false;

  constructor(private readonly budget: BodyBudget) {}

  /** True once a `take` failed that would have failed with the budget all to itself. */
  get neverFits(): boolean {
    return this.alone;
  }

  /** Counts `bytes` more of the body; false when the budget has no room for them. */
  take(bytes: number): boolean {
    if (this.released) return false;
    const covered = Math.min(bytes, this.ahead);
    this.ahead -= covered;
    const rest = bytes - covered;
    if (rest === 0) return true;
    if (this.held + rest > this.budget.limit) this.alone = true;
    if (!this.budget.reserve(rest)) return false;
    this.held += rest;
    return true;
  }

  /**
   * Takes `bytes` the body has not sent yet, for a buffer allocated ahead of them (a body
   * of declared length, read into one buffer); the chunks that then come are counted
   * against them. False, and nothing taken, when they do not fit now.
   */
  reserveAhead(bytes: number): boolean {
    if (this.released || !this.budget.reserve(bytes)) return false;
    this.held += bytes;
    this.ahead += bytes;
    return true;
  }

  /** Gives back `bytes` of what was taken (chunks joined into a buffer counted on its own). */
  giveBack(bytes: number): void {
    if (this.released) return;
    const back = Math.min(bytes, this.held);
    this.held -= back;
    this.budget.release(back);
  }

  /** Gives it all back; once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.release(this.held);
  }
}
