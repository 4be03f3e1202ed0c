import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BasePlugin, Decimal, PayhostError, PluginManager, gatewayConfigFromValues, isPayhostError, type GatewayConfig, type GatewayResponse, type PaymentData } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * A second copy of core's PayhostError, as a plugin that brings its own @payhost/core (installed from a
 * directory, npm-linked) has: core's built module imported under another URL is another module instance,
 * with another class (instanceof the host's PayhostError is false).
 */
async function otherCopy(): Promise<typeof PayhostError> {
  const url = `${pathToFileURL(join(here, '..', 'dist', 'errors', 'payhost-error.js')).href}?copy=plugin`;
  const module = (await import(url)) as { PayhostError: typeof PayhostError };
  return module.PayhostError;
}

describe('errors: isPayhostError', () => {
  it("recognises this copy's PayhostError, by code too", () => {
    const err = new PayhostError('invalid_input', 'bad amount', { field: 'amount' });
    expect(isPayhostError(err)).to.equal(true);
    expect(isPayhostError(err, 'invalid_input')).to.equal(true);
    expect(isPayhostError(err, 'plugin_failed')).to.equal(false);
  });

  it('recognises a PayhostError of another copy of @payhost/core, with its code', async () => {
    const Foreign = await otherCopy();
    expect(Foreign).not.to.equal(PayhostError);
    const err = new Foreign('invalid_input', 'This gateway needs an amount', { field: 'amount' });
    expect(err instanceof PayhostError, 'the copies are different classes').to.equal(false);
    expect(isPayhostError(err)).to.equal(true);
    expect(isPayhostError(err, 'invalid_input')).to.equal(true);
    expect(isPayhostError(err, 'plugin_failed')).to.equal(false);
    // And the other copy recognises this copy's errors.
    const theirs = (await import(`${pathToFileURL(join(here, '..', 'dist', 'errors', 'payhost-error.js')).href}?copy=plugin`)) as { isPayhostError: typeof isPayhostError };
    expect(theirs.isPayhostError(new PayhostError('unknown_gateway', 'no such gateway'), 'unknown_gateway')).to.equal(true);
  });

  it('the brand is a non-enumerable Symbol.for("payhost.error"): JSON, keys and spreads are unchanged', () => {
    const err = new PayhostError('invalid_input', 'bad', { field: 'amount' });
    const brand = Symbol.for('payhost.error');
    expect((err as unknown as Record<symbol, unknown>)[brand]).to.equal(true);
    expect(Object.getOwnPropertyDescriptor(err, brand)).to.include({ enumerable: false, writable: false });
    expect(err.propertyIsEnumerable(brand)).to.equal(false);
    expect(Object.keys(err)).to.have.members(['name', 'code', 'details']);
    expect(JSON.parse(JSON.stringify(err))).to.deep.equal({ code: 'invalid_input', message: 'bad', details: { field: 'amount' } });
    expect(Object.getOwnPropertySymbols({ ...err })).to.deep.equal([]);
  });

  it('does not take other errors for PayhostErrors', () => {
    const coded = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isPayhostError(coded)).to.equal(false);
    expect(isPayhostError({ code: 'invalid_input', message: 'x' })).to.equal(false);
    // The brand alone is not enough: a PayhostError has a string code.
    expect(isPayhostError(Object.assign(new Error('x'), { [Symbol.for('payhost.error')]: true }))).to.equal(false);
    expect(isPayhostError(Object.assign(new Error('x'), { [Symbol.for('payhost.error')]: 'yes', code: 'invalid_input' }))).to.equal(false);
    for (const value of [null, undefined, 'invalid_input', 42]) expect(isPayhostError(value)).to.equal(false);
    const hostile = new Proxy({}, { get: () => { throw new Error('trap'); } });
    expect(isPayhostError(hostile)).to.equal(false);
  });

  it("a plugin's PayhostError from its own copy of core keeps its code through the PluginManager (not plugin_failed)", async () => {
    const Foreign = await otherCopy();
    class LinkedGateway extends BasePlugin {
      static override id = 'test.linked';
      static override pluginName = 'Linked';
      override gatewayConfig(): GatewayConfig {
        return gatewayConfigFromValues(this.pluginName, { supported_currencies: 'USD' });
      }
      async processPayment(payment: PaymentData): Promise<GatewayResponse> {
        return { isSuccess: true, actionRequired: false, kind: 'capture', amount: new Decimal(payment.amount), currency: payment.currency, transactionId: 'tx', error: null };
      }
      async getClientToken(): Promise<string> {
        throw new Foreign('invalid_input', 'This gateway needs an amount for a client token', { field: 'amount' });
      }
    }
    const manager = new PluginManager({
      plugins: [LinkedGateway],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.linked': { active: true } } }] },
      logger: captureLogger().logger,
    });
    try {
      const err = await manager.getClientToken({ channel: 'us', gateway: 'test.linked' }).then(
        () => expect.fail('expected a rejection'),
        (e: unknown) => e,
      );
      expect(isPayhostError(err, 'invalid_input'), String(err)).to.equal(true);
      expect((err as PayhostError).message).to.equal('This gateway needs an amount for a client token');
      expect((err as PayhostError).details).to.deep.equal({ field: 'amount' });
    } finally {
      await manager.close();
    }
  });
});
