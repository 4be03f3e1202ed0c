import type { Json } from './fixtures.js';
import type { FormObject } from './form.js';

/** One request as the fake received it. */
export interface LoggedRequest {
  method: string;
  path: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The request's parameters: the parsed form body (POST) or query string (GET, DELETE). */
  params: FormObject;
  /** Parsed form body (empty for GET and DELETE). */
  body: FormObject;
  /** Parsed query string. */
  query: FormObject;
  /** `Stripe-Account` header: the connected account, or null for the platform. */
  account: string | null;
  idempotencyKey: string | null;
  /** The answer was replayed from an earlier request with the same idempotency key. */
  replayed: boolean;
  status: number | null;
  /** An injected fault hit this request. */
  fault: 'fail' | 'drop' | null;
}

/** Selects the requests a fault applies to; default: the next request. */
export interface FaultMatch {
  method?: string;
  /** Exact path, or a pattern (e.g. /payment_intents/). */
  path?: string | RegExp;
  /** Only requests on this account (the `Stripe-Account` header; null: the platform); default: any account. */
  account?: string | null;
  /** How many matching requests it hits; default 1. */
  times?: number;
  /**
   * Let the fake process the request (state changes, its answer saved under
   * the idempotency key) before failing it: the "response lost" case (a
   * dropped connection, or a proxy's 5xx after Stripe answered). A retry with
   * the same key replays the saved answer. Without it (and without `saved`),
   * the fault happens before the endpoint executes (a network-level fault):
   * nothing changes, nothing is saved, a retry runs the request.
   */
  afterProcessing?: boolean;
}

export interface FailOptions extends FaultMatch {
  status?: number;
  body?: Json;
  /** Sets the `Stripe-Should-Retry` header. */
  shouldRetry?: boolean;
  /**
   * The error is Stripe's own answer, given once the endpoint began
   * executing: Stripe saves it under the idempotency key, so every retry with
   * the same key gets it again (with `Idempotent-Replayed: true`), 500s
   * included. With `afterProcessing`, the request's effects happened first
   * (the intent exists, the card was charged); without, nothing changed.
   * Only a new key runs the request again (once Stripe prunes the key, after
   * 24 hours, the same key does too).
   */
  saved?: boolean;
}

export interface Fault extends FailOptions {
  kind: 'fail' | 'drop';
  remaining: number;
}

export function matchesPath(path: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? path === pattern : pattern.test(path);
}

/** The queue of injected faults: each hits the next matching request(s). */
export class FaultQueue {
  private readonly faults: Fault[] = [];

  push(fault: Fault): void {
    this.faults.push(fault);
  }

  clear(): void {
    this.faults.length = 0;
  }

  take(method: string, path: string, account: string | null): Fault | null {
    const index = this.faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || matchesPath(path, f.path)) && (f.account === undefined || f.account === account));
    if (index === -1) return null;
    const fault = this.faults[index] as Fault;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}
