import { expect } from 'chai';
import { PluginManager, describeFailure, type GatewayResponse, type PaymentData } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { GatewayA, payment } from './support/plugins.js';

const SECRET = 'sk_live_THROWN_0123456789abcdef';

/**
 * A gateway that throws what the payment's token names: plain objects, as some SDKs throw. Its async
 * hook throws before any call, so the manager reports it as thrown (a final failure), not rejected.
 */
class Thrower extends GatewayA {
  static override id = 'test.thrower';

  override async processPayment(data: PaymentData): Promise<GatewayResponse> {
    switch (data.token) {
      case 'declined':
        throw { type: 'card_error', code: 'card_declined', key: this.configuration['secret_key'] };
      case 'with-request':
        throw { code: 'unauthorized', request: { headers: { Authorization: `Basic ${Buffer.from(`id:${String(this.configuration['secret_key'])}`).toString('base64')}` } } };
      default: {
        // Long: the secret sits where a cut at a fixed length would halve it.
        throw { code: 'too_long', detail: 'x'.repeat(240), echoed: `key=${String(this.configuration['secret_key'])}`, more: 1 };
      }
    }
  }
}

describe('manager: a hook that throws something that is not an Error', () => {
  async function loggedFor(token: string, secret = SECRET): Promise<{ msg: string; text: string }> {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [Thrower],
      logger: log.logger,
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.thrower': { active: true, configuration: { secret_key: secret } } } }] },
    });
    const answer = await manager.processPayment({ channel: 'us', payment: payment({ token }) });
    expect(answer).to.include({ isSuccess: false, errorCode: 'processing_error' });
    await manager.close();
    const line = log.lines.find((l) => l['code'] === 'plugin_failed' && l['hook'] === 'processPayment');
    return { msg: String(line?.['msg']), text: log.text() };
  }

  it('is logged as its JSON, secrets scrubbed, not as [object Object]', async () => {
    const { msg, text } = await loggedFor('declined');
    expect(msg).to.equal('Plugin "test.thrower" threw {"type":"card_error","code":"card_declined","key":"[redacted]"} in hook processPayment');
    expect(text).not.to.include(SECRET);
  });

  it('scrubs a secret with a quote, a backslash or a newline, which JSON prints escaped', async () => {
    const awkward = 'pem-line-1\nline-2 "quoted" back\\slash';
    const { msg, text } = await loggedFor('declined', awkward);
    expect(msg).to.equal('Plugin "test.thrower" threw {"type":"card_error","code":"card_declined","key":"[redacted]"} in hook processPayment');
    expect(text).not.to.include('pem-line-1');
  });

  it('leaves out the fields the logger redacts (an HTTP request with a derived Authorization header)', async () => {
    const { msg, text } = await loggedFor('with-request');
    expect(msg).to.equal('Plugin "test.thrower" threw {"code":"unauthorized","request":"[redacted]"} in hook processPayment');
    expect(text).not.to.include('Basic ');
  });

  it('a long object keeps its first fields whole and counts the rest, never half a secret', async () => {
    const { msg, text } = await loggedFor('long');
    expect(msg).to.equal(`Plugin "test.thrower" threw {"code":"too_long","detail":"${'x'.repeat(240)}",... 2 more fields} in hook processPayment`);
    expect(text).not.to.include('sk_live_');
  });

  it('describes other values usefully: a class instance by name, a cycle, a list, a string, undefined', () => {
    class SdkError {
      readonly status = 402;
    }
    const cycle: Record<string, unknown> = { code: 'loop' };
    cycle['self'] = cycle;
    const huge = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`field${i}`, 'y'.repeat(400)]));
    for (const [value, expected] of [
      [new SdkError(), 'rejected with a SdkError {"status":402}'],
      [cycle, 'rejected with {"code":"loop","self":?}'],
      [[1, 'two'], 'rejected with [1,"two"]'],
      [huge, 'rejected with {... 10 more fields (field0, field1, field2, field3, field4, field5, field6, field7, ...)}'],
      ['plain text', 'rejected with "plain text"'],
      [undefined, 'rejected with undefined'],
    ] as const) {
      expect(describeFailure('rejected', value, 1000)).to.equal(expected);
    }
  });
});
