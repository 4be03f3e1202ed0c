import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  Decimal,
  MemoryLedgerStore,
  PaymentService,
  PluginManager,
  silentLogger,
  type ConfigValues,
  type CreatePaymentInput,
  type FaultHooks,
  type GatewayResponse,
  type LedgerStore,
  type Payment,
  type PaymentData,
  type PayInput,
  type PluginClass,
  type Transaction,
  type TransactionStatusInput,
} from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin, dummyStore } from '@payhost/plugin-dummy';

export { DUMMY_TOKENS, DummyGatewayPlugin, dummyStore };

export const CHANNEL = 'web';
export const GATEWAY = 'payhost.dummy';

/** A settable gate: gateway calls wait on it while it is closed. */
export class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | null = null;
  /** Resolves each time a call reaches the gate. */
  arrivals: Array<() => void> = [];

  close(): void {
    this.opened = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  open(): void {
    this.release?.();
    this.release = null;
    this.opened = Promise.resolve();
  }

  /** Resolves when the next call is waiting at the gate. */
  nextArrival(): Promise<void> {
    return new Promise((resolve) => this.arrivals.push(resolve));
  }

  async pass(): Promise<void> {
    const waiting = this.opened;
    this.arrivals.shift()?.();
    await waiting;
  }
}

/** The dummy gateway, plus a gate before every money call and `getTransactionStatus` from the dummy's idempotency memory. */
export class GatedDummy extends DummyGatewayPlugin {
  static gate = new Gate();
  /** Whether getTransactionStatus answers (false: "cannot tell"). */
  static canTell = true;

  override async processPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    await GatedDummy.gate.pass();
    return super.processPayment(p, v);
  }
  override async authorizePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    await GatedDummy.gate.pass();
    return super.authorizePayment(p, v);
  }
  override async capturePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    await GatedDummy.gate.pass();
    return super.capturePayment(p, v);
  }
  override async refundPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    await GatedDummy.gate.pass();
    return super.refundPayment(p, v);
  }
  override async voidPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    await GatedDummy.gate.pass();
    return super.voidPayment(p, v);
  }
  override async confirmPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    await GatedDummy.gate.pass();
    return super.confirmPayment(p, v);
  }

  /** The dummy answers from what it remembers; `canTell = false` makes it a gateway that cannot tell. */
  override async getTransactionStatus(input: TransactionStatusInput, previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return GatedDummy.canTell ? super.getTransactionStatus(input, previous) : undefined;
  }
}

export interface SetupOptions {
  configuration?: ConfigValues;
  plugin?: PluginClass;
  store?: LedgerStore;
  faults?: FaultHooks;
  currencies?: string[];
}

export interface Setup {
  manager: PluginManager;
  store: LedgerStore;
  service: PaymentService;
  create(overrides?: Partial<CreatePaymentInput>): Promise<Payment>;
  close(): Promise<void>;
}

export function makeManager(options: SetupOptions = {}): PluginManager {
  const currencies = options.currencies ?? ['USD', 'JPY', 'KWD'];
  return new PluginManager({
    plugins: [options.plugin ?? DummyGatewayPlugin],
    config: {
      channels: [
        {
          slug: CHANNEL,
          currencies,
          plugins: {
            [GATEWAY]: {
              active: true,
              configuration: { supported_currencies: currencies.join(','), auto_capture: true, ...(options.configuration ?? {}) },
            },
          },
        },
      ],
    },
    // Tests that provoke warnings (a plugin's number amount) read outcomes, not logs: nothing on stderr.
    logger: silentLogger(),
  });
}

export function setup(options: SetupOptions = {}): Setup {
  const manager = makeManager(options);
  const store = options.store ?? new MemoryLedgerStore();
  const service = new PaymentService({ manager, store, ...(options.faults ? { faults: options.faults } : {}) });
  return {
    manager,
    store,
    service,
    create: (overrides = {}) =>
      service.createPayment({
        idempotencyKey: key(),
        channel: CHANNEL,
        total: '10.00',
        currency: 'USD',
        token: DUMMY_TOKENS.success,
        customerEmail: 'buyer@example.com',
        ...overrides,
      }),
    close: () => manager.close(),
  };
}

/** A pay() request for 10.00 USD with the dummy's success token, under a fresh idempotency key. */
export function payInput(overrides: Partial<PayInput> = {}): PayInput {
  return { idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: DUMMY_TOKENS.success, ...overrides };
}

export function key(): string {
  return `key-${randomUUID()}`;
}

export function dec(value: string): Decimal {
  return new Decimal(value);
}

/** Asserts an amount equals a decimal string (exactly, whatever the trailing zeros). */
export function expectAmount(actual: Decimal, expected: string, label = 'amount'): void {
  expect(actual.eq(expected), `${label}: ${actual.toString()} != ${expected}`).to.equal(true);
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  expect.fail('expected the promise to reject');
}

export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return (await rejection(promise)).code;
}

export function successful(transactions: readonly Transaction[], kind: Transaction['kind']): Transaction[] {
  return transactions.filter((t) => t.state === 'applied' && t.isSuccess && t.kind === kind);
}

export function sum(transactions: readonly Transaction[]): Decimal {
  return transactions.reduce((acc, t) => acc.plus(t.amount), new Decimal(0));
}

/** The PaymentData of a refund made at the gateway's dashboard (not through payhost): a key of its own each time. */
export function dashboardRefundData(amount: Decimal, currency: string, token: string, paymentId: string): PaymentData {
  return {
    amount,
    currency,
    token,
    paymentId,
    graphqlPaymentId: paymentId,
    billing: null,
    shipping: null,
    orderId: null,
    customerIpAddress: null,
    customerEmail: 'buyer@example.com',
    customerId: null,
    reuseSource: false,
    data: null,
    idempotencyKey: `dashboard-${randomUUID()}`,
  };
}
