import { managerClosed } from './manager-errors.js';

// Whether the manager's close() was called: from then on every call that runs or builds a plugin is refused.

/** The manager's close state: close()'s promise once it was called, and the `shutting_down` refusal it implies. */
export class CloseGate {
  private closing: Promise<void> | null = null;

  /** True once close() was called (while it runs and after). */
  get closed(): boolean {
    return this.closing !== null;
  }

  /** Throws `shutting_down` once close() was called (an async method's throw is its rejection). */
  refuse(method: string): void {
    if (this.closing) throw managerClosed(method);
  }

  /** Starts `shutDown` on the first call only; every call answers that one promise. */
  close(shutDown: () => Promise<void>): Promise<void> {
    this.closing ??= shutDown();
    return this.closing;
  }
}
