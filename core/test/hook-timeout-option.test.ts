import { expect } from 'chai';
import { PayhostError, PluginManager } from '@payhost/core';
import { GatewayA } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

// hookTimeoutMs: a whole number of milliseconds from 1 to Node's timer maximum. Anything else broke the
// watchdog silently: 0 or less timed every call out at once, NaN never fired, 3e9 overflowed to 1 ms.

const config = { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.gateway-a': { active: true } } }] };
const BAD = [0, -1, -30_000, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2_147_483_648, 3e9, '1000', null];

function expectOptionError(err: unknown, value: unknown): void {
  expect(err, `hookTimeoutMs ${String(value)} is refused`).to.be.instanceOf(PayhostError);
  const error = err as PayhostError;
  expect(error.code).to.equal('invalid_configuration');
  expect(error.message).to.include('hookTimeoutMs');
  expect(error.details).to.deep.equal({ option: 'hookTimeoutMs' });
}

describe('manager: the hookTimeoutMs option', () => {
  for (const value of BAD) {
    it(`the constructor refuses ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`, () => {
      let thrown: unknown;
      try {
        new PluginManager({ plugins: [GatewayA], config, logger: captureLogger().logger, hookTimeoutMs: value as number });
      } catch (err) {
        thrown = err;
      }
      expectOptionError(thrown, value);
    });
  }

  it('PluginManager.create refuses it before loading any plugin package', async () => {
    for (const value of [0, Number.NaN, 3e9]) {
      let thrown: unknown;
      try {
        // A package that does not exist: loading it first would answer plugin_load_failed instead.
        await PluginManager.create({ plugins: ['@payhost/no-such-plugin'], config, logger: captureLogger().logger, hookTimeoutMs: value });
      } catch (err) {
        thrown = err;
      }
      expectOptionError(thrown, value);
    }
  });

  it('takes 1 ms, Node\'s timer maximum, and none (30 s)', async () => {
    for (const hookTimeoutMs of [1, 2_147_483_647, undefined]) {
      const manager = await PluginManager.create({ plugins: [GatewayA], config, logger: captureLogger().logger, ...(hookTimeoutMs === undefined ? {} : { hookTimeoutMs }) });
      expect(manager.listChannels()).to.deep.equal(['us']);
      await manager.close();
    }
  });
});
