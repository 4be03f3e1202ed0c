/**
 * A dispatch's state object, as the watchdog sees it. The watchdog keeps every
 * registered one, in flight or idle (waiting for reuse), so starting or ending
 * a dispatch costs it nothing: no list update, no clock read (on some hosts a
 * clock read is a system call, dearer than the whole dispatch), no timer.
 * Starting a plugin call is a single store, `callIndex = index`.
 */
export interface Watched {
  /** Identifies the plugin call in progress (the tap's index); changes when the next call starts. */
  callIndex: number;
  /** The call the watchdog last saw in progress, and when it first saw it. */
  seenIndex: number;
  seenAt: number;
  /** True when no plugin call of it is in progress (settled, abandoned or idle): the watchdog skips it. */
  done: boolean;
  /** Set when its owner drops it for good: the watchdog forgets it at its next check. */
  retired: boolean;
  onTimeout(): void;
}

/**
 * Milliseconds the call in progress has run, at the watchdog's resolution: a
 * lower bound, the time since a check first saw it (0 if none has yet).
 */
export function watchdogElapsedMs(entry: Watched, now: number): number {
  return entry.seenIndex === entry.callIndex ? now - entry.seenAt : 0;
}

/**
 * One interval per manager checks every registered dispatch, instead of a
 * timer per plugin call. Dispatch state objects are registered once, when
 * created, and reused (`idle` holds those waiting), so the registry holds as
 * many as were ever in flight at once, less those retired.
 *
 * A check stamps each call it sees for the first time with the check's time
 * (the call started before it); a call still in progress `timeoutMs` after its
 * stamp has timed out. So a call is never timed out early, and at most two
 * intervals (a quarter of the timeout, at most 250 ms) late.
 */
export class CallWatchdog<W extends Watched = Watched> {
  private readonly entries: W[] = [];
  /** Registered entries not in flight, kept for reuse by their owner; bounded by `maxIdle`. */
  readonly idle: W[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Whether the timer keeps the process alive: from a dispatch's start until a check finds none in flight. */
  private refed = false;
  readonly timeoutMs: number;
  private readonly intervalMs: number;

  constructor(
    timeoutMs: number,
    readonly maxIdle = 64,
  ) {
    this.timeoutMs = timeoutMs;
    this.intervalMs = Math.max(1, Math.min(125, Math.floor(timeoutMs / 8)));
  }

  /** Watches `entry` from now on, whenever it is not `done`, until it is retired. */
  register(entry: W): void {
    this.entries.push(entry);
    if (this.timer === undefined) this.start();
  }

  /**
   * Called when a dispatch starts: the timer is the only thing enforcing the
   * timeout, so while a call is in flight it must keep the process alive (a
   * one-shot script awaiting a hung plugin would otherwise exit silently).
   * One boolean test when already held; `check` lets go once none is in flight.
   */
  hold(): void {
    if (this.refed) return;
    if (this.timer === undefined) this.start();
    (this.timer as NodeJS.Timeout).ref();
    this.refed = true;
  }

  /** Keeps a completed entry for reuse, or retires it when enough are kept. */
  recycle(entry: W): void {
    if (this.idle.length < this.maxIdle) this.idle.push(entry);
    else entry.retired = true;
  }

  /** How many entries are registered (in flight, idle, or retired since the last check). */
  get size(): number {
    return this.entries.length;
  }

  private start(): void {
    this.timer = setInterval(() => this.check(), this.intervalMs);
    // An idle host must be free to exit; `hold` refs it while calls are in flight.
    this.timer.unref();
    this.refed = false;
  }

  private check(): void {
    const now = performance.now();
    const entries = this.entries;
    let timedOut: W[] | undefined;
    let inFlight = false;
    for (let i = 0; i < entries.length; ) {
      const entry = entries[i] as W;
      if (entry.retired) {
        // Swap-remove: the last entry takes its place and is checked next.
        const last = entries.pop() as W;
        if (last !== entry) entries[i] = last;
        continue;
      }
      i++;
      if (entry.done) continue;
      inFlight = true;
      if (entry.seenIndex !== entry.callIndex) {
        entry.seenIndex = entry.callIndex;
        entry.seenAt = now;
      } else if (now - entry.seenAt >= this.timeoutMs) {
        (timedOut ??= []).push(entry);
      }
    }
    if (!inFlight) this.release();
    // Called after the walk: onTimeout runs plugin code, and retires the entry.
    if (timedOut !== undefined) for (const entry of timedOut) entry.onTimeout();
  }

  /** Nothing in flight: the timer no longer keeps the process alive. */
  private release(): void {
    if (!this.refed) return;
    this.timer?.unref();
    this.refed = false;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.refed = false;
    this.entries.length = 0;
    this.idle.length = 0;
  }
}
