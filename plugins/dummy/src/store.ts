import { randomBytes } from 'node:crypto';
import type { Decimal, GatewayResponse } from '@payhost/core';
import { BoundedMap } from './bounded-map.js';
import type { DummyCard } from './tokens.js';

/** A card as the gateway remembers it: the token's details plus the holder's name. */
export interface DummyStoredCard extends DummyCard {
  nameOnCard: string | null;
}

/** requires_payment_method: its 3-D Secure failed; it waits for another card (Stripe's PaymentIntent status). */
export type ChargeStatus = 'requires_action' | 'requires_payment_method' | 'succeeded' | 'voided';

/** One charge (Stripe's PaymentIntent): what was authorized, captured, refunded. */
export interface DummyCharge {
  pspReference: string;
  channel: string;
  currency: string;
  /** Amount requested when the charge was created. */
  amount: Decimal;
  authorized: Decimal;
  captured: Decimal;
  refunded: Decimal;
  status: ChargeStatus;
  /** Whether a successful confirm captures (processPayment with auto-capture) or only authorizes. */
  captureOnConfirm: boolean;
  card: DummyStoredCard;
  /** Host customer id to store the card for once the charge succeeds. */
  storeFor: string | null;
  /** Gateway customer id, when the card was stored or reused. */
  gatewayCustomerId: string | null;
}

export interface DummySource {
  id: string;
  card: DummyStoredCard;
}

interface CustomerRecord {
  gatewayCustomerId: string;
  sources: DummySource[];
}

interface IdempotencyEntry {
  operation: string;
  fingerprint: string;
  response: GatewayResponse;
}

/** Entries kept per map before the oldest are dropped: the dummy must not grow without bound. */
export const DUMMY_STORE_LIMIT = 50_000;

function sameCard(a: DummyCard, b: DummyCard): boolean {
  return a.tokenName === b.tokenName && a.brand === b.brand && a.last4 === b.last4 && a.expMonth === b.expMonth && a.expYear === b.expYear;
}

/**
 * In-memory state of the dummy gateway (its "processor side"). One module-level
 * instance is shared by every plugin instance, so state survives the host
 * rebuilding plugin instances when configuration changes; keys carry the
 * channel so channels never see each other's charges or cards.
 */
export class DummyStore {
  /** Random per process, so ids stay unique across restarts of a host with a durable ledger. */
  private readonly prefix = randomBytes(4).toString('hex');
  private counter = 0;
  private readonly charges: BoundedMap<string, DummyCharge>;
  /** transactionId -> pspReference, so any transaction id of a charge finds it. */
  private readonly transactions: BoundedMap<string, string>;
  private readonly customers: BoundedMap<string, CustomerRecord>;
  private readonly idempotency: BoundedMap<string, IdempotencyEntry>;

  /** Each kind of entry (charges, transaction links, customers, idempotency keys) is bounded by `limit`, oldest dropped first. */
  constructor(limit = DUMMY_STORE_LIMIT) {
    this.charges = new BoundedMap(limit);
    this.transactions = new BoundedMap(limit);
    this.customers = new BoundedMap(limit);
    this.idempotency = new BoundedMap(limit);
  }

  /** A new unique id, e.g. `dummy_ch_1a2b3c4d_7`. */
  nextId(kind: string): string {
    this.counter += 1;
    return `dummy_${kind}_${this.prefix}_${this.counter}`;
  }

  /**
   * Charges and transaction links are keyed by channel too: a lost answer's charge id is made from
   * the caller's idempotency key, which two channels (two processor accounts) may both use.
   */
  private channelKey(channel: string, id: string): string {
    return `${channel}\u0000${id}`;
  }

  addCharge(charge: DummyCharge): void {
    this.charges.set(this.channelKey(charge.channel, charge.pspReference), charge);
  }

  /** Links a transaction id to its charge. */
  addTransaction(transactionId: string, charge: DummyCharge): void {
    this.transactions.set(this.channelKey(charge.channel, transactionId), charge.pspReference);
  }

  /** Finds a charge of this channel by its pspReference or any of its transaction ids. */
  findCharge(channel: string, token: string): DummyCharge | undefined {
    const psp = this.transactions.get(this.channelKey(channel, token)) ?? token;
    return this.charges.get(this.channelKey(channel, psp));
  }

  /** Stores a card for a customer (once per distinct card); returns the gateway customer id and the source. */
  saveCard(channel: string, customerId: string, card: DummyStoredCard): { gatewayCustomerId: string; source: DummySource } {
    const key = this.channelKey(channel, customerId);
    let record = this.customers.get(key);
    if (!record) {
      record = { gatewayCustomerId: this.nextId('cus'), sources: [] };
      this.customers.set(key, record);
    }
    let source = record.sources.find((s) => sameCard(s.card, card));
    if (source) {
      source.card = { ...card };
      record.sources = [...record.sources.filter((s) => s !== source), source];
    } else {
      source = { id: this.nextId('pm'), card: { ...card } };
      record.sources.push(source);
    }
    return { gatewayCustomerId: record.gatewayCustomerId, source };
  }

  /** The customer's stored cards, oldest first, with the gateway customer id. */
  customer(channel: string, customerId: string): { gatewayCustomerId: string; sources: readonly DummySource[] } | undefined {
    const record = this.customers.get(this.channelKey(channel, customerId));
    return record ? { gatewayCustomerId: record.gatewayCustomerId, sources: [...record.sources] } : undefined;
  }

  getIdempotent(channel: string, key: string): IdempotencyEntry | undefined {
    return this.idempotency.get(this.channelKey(channel, key));
  }

  setIdempotent(channel: string, key: string, entry: IdempotencyEntry): void {
    this.idempotency.set(this.channelKey(channel, key), entry);
  }

  /** Forgets every charge, card and idempotency key (tests). Ids stay unique. */
  reset(): void {
    this.charges.clear();
    this.transactions.clear();
    this.customers.clear();
    this.idempotency.clear();
  }
}

/** The shared state used by every DummyGatewayPlugin instance. */
export const dummyStore = new DummyStore();
