/**
 * A dispatch in flight, as the watchdog sees it. Starting a plugin call is a
 * single store, `callIndex = index`: no clock read (on some hosts a clock read
 * is a system call, dearer than the whole dispatch), no timer, no allocation.
 * The other fields belong to the watchdog.
 */
export interface Watched {
  /** Identifies the plugin call in progress (the tap's index); changes when the next call starts. */
  callIndex: number;
  /** The call the watchdog last saw in progress, and when it first saw it. */
  seenIndex: number;
  seenAt: number;
  /** Intrusive list links, null when not watched. */
  prevWatched: Watched | null;
  nextWatched: Watched | null;
  onTimeout(): void;
}

/**
 * Milliseconds the call in progress has run, at the watchdog's resolution: a
 * lower bound, the time since a check first saw it (0 if none has yet).
 */
export function watchdogElapsedMs(entry: Watched, now: number): number {
  return entry.seenIndex === entry.callIndex ? now - entry.seenAt : 0;
}

const sentinel = (): Watched => {
  const head: Watched = { callIndex: 0, seenIndex: 0, seenAt: 0, prevWatched: null, nextWatched: null, onTimeout: () => undefined };
  head.prevWatched = head;
  head.nextWatched = head;
  return head;
};

/**
 * One interval per manager checks every dispatch in flight, instead of a
 * timer per plugin call: a hook dispatch then costs two list link updates,
 * not a setTimeout/clearTimeout pair or a Set insert and delete.
 *
 * A check stamps each call it sees for the first time with the check's time
 * (the call started before it); a call still in progress `timeoutMs` after its
 * stamp has timed out. So a call is never timed out early, and at most two
 * intervals (a quarter of the timeout, at most 250 ms) late.
 */
export class CallWatchdog {
  private readonly head: Watched = sentinel();
  private timer: NodeJS.Timeout | undefined;
  readonly timeoutMs: number;
  private readonly intervalMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.intervalMs = Math.max(1, Math.min(125, Math.floor(timeoutMs / 8)));
  }

  watch(entry: Watched): void {
    const last = this.head.prevWatched as Watched;
    entry.prevWatched = last;
    entry.nextWatched = this.head;
    last.nextWatched = entry;
    this.head.prevWatched = entry;
    if (this.timer === undefined) this.start();
  }

  release(entry: Watched): void {
    const prev = entry.prevWatched;
    const next = entry.nextWatched;
    if (prev === null || next === null) return;
    prev.nextWatched = next;
    next.prevWatched = prev;
    entry.prevWatched = null;
    entry.nextWatched = null;
  }

  private start(): void {
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  private check(): void {
    const now = performance.now();
    let timedOut: Watched[] | undefined;
    for (let entry = this.head.nextWatched as Watched; entry !== this.head; entry = entry.nextWatched as Watched) {
      if (entry.seenIndex !== entry.callIndex) {
        entry.seenIndex = entry.callIndex;
        entry.seenAt = now;
      } else if (now - entry.seenAt >= this.timeoutMs) {
        (timedOut ??= []).push(entry);
      }
    }
    if (timedOut === undefined) return;
    // Unlinked and called after the walk: onTimeout runs plugin code.
    for (const entry of timedOut) this.release(entry);
    for (const entry of timedOut) entry.onTimeout();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    let entry = this.head.nextWatched as Watched;
    while (entry !== this.head) {
      const next = entry.nextWatched as Watched;
      entry.prevWatched = null;
      entry.nextWatched = null;
      entry = next;
    }
    this.head.prevWatched = this.head;
    this.head.nextWatched = this.head;
  }
}
