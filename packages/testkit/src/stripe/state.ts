import { randomBytes } from 'node:crypto';
import type { MagicCard } from './cards.js';
import { eventShape, type Json } from './fixtures.js';
import type { FormObject } from './form.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Everything one Stripe account holds (the platform, or a connected account). */
export interface AccountStore {
  /** null: the platform account; otherwise a connected account id (Stripe-Account header). */
  id: string | null;
  paymentIntents: Map<string, Json>;
  setupIntents: Map<string, Json>;
  charges: Map<string, Json>;
  refunds: Map<string, Json>;
  customers: Map<string, Json>;
  paymentMethods: Map<string, Json>;
  disputes: Map<string, Json>;
  /** PaymentMethod id -> the magic card behind it. */
  cardOf: Map<string, MagicCard>;
  /** Intents (payment or setup) whose 3-D Secure challenge was passed. */
  authenticated: Set<string>;
}

/** Who made the request an event records (Stripe's `event.request`). */
export interface EventRequest {
  id: string | null;
  idempotencyKey: string | null;
}

export type ObjectKind = 'paymentIntents' | 'setupIntents' | 'charges' | 'refunds' | 'customers' | 'paymentMethods' | 'disputes';

function emptyAccount(id: string | null): AccountStore {
  return {
    id,
    paymentIntents: new Map(),
    setupIntents: new Map(),
    charges: new Map(),
    refunds: new Map(),
    customers: new Map(),
    paymentMethods: new Map(),
    disputes: new Map(),
    cardOf: new Map(),
    authenticated: new Set(),
  };
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The fake's whole state: accounts, the event log, OAuth codes. */
export class StripeState {
  private accounts = new Map<string, AccountStore>();
  private seq = 0;
  /** Every event the fake emitted, oldest first (what Stripe would send to webhooks). */
  readonly events: Json[] = [];
  /** OAuth authorization code -> connected account id. */
  readonly oauthCodes = new Map<string, string>();
  /** The request being handled, recorded on the events it causes. */
  currentRequest: EventRequest = { id: null, idempotencyKey: null };
  /** How far the fake's clock is ahead of the real one (advanceClock). */
  private clockOffsetMs = 0;
  /**
   * How long a new customer or payment intent stays out of the search index
   * (Stripe: searchable "in less than a minute" normally, "up to an hour
   * behind during outages"). 0: searchable at once.
   */
  searchIndexDelayMs = 0;
  /** Object id -> when it was created (the fake's clock, ms), for the search index. */
  private readonly createdAt = new Map<string, number>();

  /** The fake's clock, in ms: the real time plus what advanceClock added. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`The fake's clock only moves forward (got ${ms} ms)`);
    this.clockOffsetMs += ms;
  }

  /** Records that an object was just created: the search index holds it once searchIndexDelayMs has passed. */
  indexLater(id: string): void {
    this.createdAt.set(id, this.now());
  }

  /** Whether Stripe's search index already holds the object. */
  searchable(id: string): boolean {
    const at = this.createdAt.get(id);
    return at === undefined || this.now() - at >= this.searchIndexDelayMs;
  }

  /**
   * A Stripe-looking id: prefix, then 24 alphanumeric characters, unique in this fake. The random part is
   * base 62 as Stripe's are: hex has runs of 12+ digits that pass Luhn often enough (3 ids in 10,000) for
   * the ledger's card-number check to refuse a token or mask an id now and then.
   */
  nextId(prefix: string): string {
    this.seq += 1;
    let random = '';
    for (const byte of randomBytes(16)) random += BASE62[byte % 62];
    return `${prefix}_F${this.seq.toString(36).padStart(7, '0')}${random}`;
  }

  account(id: string | null): AccountStore {
    const key = id ?? '';
    let store = this.accounts.get(key);
    if (!store) {
      store = emptyAccount(id);
      this.accounts.set(key, store);
    }
    return store;
  }

  /** Finds an object by id in any account (test helpers). */
  locate(kind: ObjectKind, id: string): { store: AccountStore; object: Json } | undefined {
    for (const store of this.accounts.values()) {
      const object = store[kind].get(id);
      if (object) return { store, object };
    }
    return undefined;
  }

  /** Records an event as Stripe would send it: a snapshot of the object, previous attributes, the account. */
  emit(type: string, object: Json, account: string | null, previousAttributes?: Json): Json {
    const event = eventShape();
    event['id'] = this.nextId('evt');
    event['type'] = type;
    event['api_version'] = '2026-10-28.endive';
    event['data'] = previousAttributes ? { object: clone(object), previous_attributes: previousAttributes } : { object: clone(object) };
    event['request'] = { id: this.currentRequest.id, idempotency_key: this.currentRequest.idempotencyKey };
    if (account) event['account'] = account;
    this.events.push(event);
    return event;
  }

  reset(): void {
    this.accounts.clear();
    this.events.length = 0;
    this.oauthCodes.clear();
    this.clockOffsetMs = 0;
    this.createdAt.clear();
  }
}

/** What a route handler gets: the state, the account the request is for, the parsed parameters. */
export interface HandlerContext {
  state: StripeState;
  store: AccountStore;
  form: FormObject;
}
