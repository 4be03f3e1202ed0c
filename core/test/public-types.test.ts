import { expect } from 'chai';
import {
  Decimal,
  ERROR_CODES,
  PayhostError,
  PluginManager,
  isKnownPayhostErrorCode,
  isPayhostError,
  parseAmount,
  type AmountInput,
  type KnownPayhostErrorCode,
  type PluginManagerOptions,
} from '@payhost/core';
import { GatewayA } from './support/plugins.js';

// The public types catch what the library would refuse at run time. Each @ts-expect-error line fails
// `npx tsc -p tsconfig.tests.json --noEmit` when the type it checks lets the mistake through.

describe('public types', () => {
  it('error codes: a closed union, so a misspelt code does not compile and a switch over it is exhaustive', () => {
    const err: unknown = new PayhostError(ERROR_CODES.unknownChannel, 'Unknown channel "mars"');
    // @ts-expect-error a misspelt code ("chanel")
    expect(isPayhostError(err, 'unknown_chanel')).to.equal(false);
    expect(isPayhostError(err, 'unknown_channel')).to.equal(true);
    // A plugin's own code is compared after the check, on `code` (a string).
    const own: unknown = new PayhostError('customer_account_mismatch', 'another account');
    expect(isPayhostError(own) && own.code === 'customer_account_mismatch').to.equal(true);
    expect([isKnownPayhostErrorCode('unknown_channel'), isKnownPayhostErrorCode('customer_account_mismatch'), isKnownPayhostErrorCode(7)]).to.deep.equal([true, false, false]);

    const status = (code: KnownPayhostErrorCode): number => {
      switch (code) {
        case 'unknown_channel':
        case 'unknown_gateway':
        case 'payment_not_found':
        case 'transaction_not_found':
        case 'unknown_plugin':
          return 404;
        default:
          return 400;
      }
    };
    if (isPayhostError(err) && isKnownPayhostErrorCode(err.code)) expect(status(err.code)).to.equal(404);
  });

  it('amounts: a Decimal or a decimal string; a JavaScript number is refused, typed and at run time', () => {
    const amounts: AmountInput[] = [new Decimal('10.10'), '10.10'];
    // @ts-expect-error a JavaScript number is a binary float
    amounts.push(10.1);
    for (const value of [10.1, 10, 0.1 + 0.2]) {
      let code: string | undefined;
      try {
        parseAmount(value, 'USD');
      } catch (err) {
        code = isPayhostError(err) ? err.code : 'not a PayhostError';
        expect((err as Error).message).to.include('pass a decimal string such as "10.50", or a Decimal');
      }
      expect(code, String(value)).to.equal('invalid_amount');
    }
    expect(amounts.slice(0, 2).map((a) => parseAmount(a, 'USD').toFixed(2))).to.deep.equal(['10.10', '10.10']);
  });

  it('manager options: the constructor takes a HostConfigInput, create also a path; a misspelt key does not compile', () => {
    const channels = [{ slug: 'us', currencies: ['USD'], plugins: { 'test.gateway-a': { active: true } } }];
    // @ts-expect-error a misspelt key ("globalPlugin"), refused at run time too
    expect(() => new PluginManager({ plugins: [GatewayA], config: { channels, globalPlugin: {} } })).to.throw(PayhostError, 'unknown key "globalPlugin"');
    // @ts-expect-error a channel's misspelt key ("currency")
    expect(() => new PluginManager({ plugins: [GatewayA], config: { channels: [{ slug: 'us', currency: ['USD'] }] } })).to.throw(PayhostError);
    const fromFile: PluginManagerOptions = { plugins: ['@payhost/plugin-dummy'], config: 'payhost.config.json' };
    expect(fromFile.config).to.equal('payhost.config.json');
    expect(new PluginManager({ plugins: [GatewayA], config: { channels } }).listChannels()).to.have.length(1);
  });
});
