/** A held lock: callers waiting for it, in arrival order (null until someone waits). */
export interface HeldLock {
  waiters: Array<() => void> | null;
}

/**
 * Per-key FIFO mutexes: the in-memory stand-in for Postgres row locks. A
 * lock is held by one transaction until it commits or rolls back. A free
 * lock is taken without a promise (the common case); a held one is handed
 * to its waiters in arrival order.
 */
export class LockTable {
  private readonly held = new Map<string, HeldLock>();

  /** Takes a free lock at once; null when it is held. */
  tryAcquire(key: string): HeldLock | null {
    if (this.held.has(key)) return null;
    const lock: HeldLock = { waiters: null };
    this.held.set(key, lock);
    return lock;
  }

  /** Waits for the lock, then holds it. */
  async acquire(key: string): Promise<HeldLock> {
    const free = this.tryAcquire(key);
    if (free) return free;
    const current = this.held.get(key) as HeldLock;
    await new Promise<void>((resolve) => (current.waiters ??= []).push(resolve));
    // Handed over by release(): the lock object stays the same, now ours.
    return current;
  }

  release(key: string, lock: HeldLock): void {
    const next = lock.waiters?.shift();
    if (next) next();
    else if (this.held.get(key) === lock) this.held.delete(key);
  }
}
