/** A dispatch in flight, as the watchdog sees it. */
export interface Watched {
  /** performance.now() when the current plugin call started. */
  callStartedAt: number;
  onTimeout(): void;
}

/**
 * One interval per manager checks every dispatch in flight, instead of a
 * timer per plugin call: a hook dispatch then costs a Set insert and delete,
 * not a setTimeout/clearTimeout pair. Resolution is a quarter of the timeout.
 */
export class CallWatchdog {
  private readonly inFlight = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  watch(entry: Watched): void {
    this.inFlight.add(entry);
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), Math.max(1, Math.min(250, Math.floor(this.timeoutMs / 4))));
      this.timer.unref();
    }
  }

  release(entry: Watched): void {
    this.inFlight.delete(entry);
  }

  private check(): void {
    const now = performance.now();
    for (const entry of this.inFlight) {
      if (now - entry.callStartedAt >= this.timeoutMs) {
        this.inFlight.delete(entry);
        entry.onTimeout();
      }
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.inFlight.clear();
  }
}
