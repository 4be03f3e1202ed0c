import { expect } from 'chai';
import { Harness } from '../src/conformance/harness.js';
import type { ConformanceAdapter } from '../src/conformance/adapter.js';
import { ReferencePlugin } from './fixtures/reference-plugin.js';

// The manager asks tokenIsRequiredAsPaymentInput with previousValue true (its default): the
// conformance suite's direct calls must hand the plugin the same, or a plugin passing
// previousValue through would be judged on an answer the manager never gives it.
describe('testkit: the conformance harness calls tokenIsRequiredAsPaymentInput as the manager does', () => {
  it('with { channel, gateway } and previousValue true', () => {
    const adapter = {
      configuration: () => ({}),
      currencies: { zero: 'JPY', two: 'USD', three: 'KWD' },
      successToken: () => 'tok',
      declineToken: () => 'tok_decline',
    } as unknown as ConformanceAdapter;
    const harness = new Harness(ReferencePlugin, adapter);
    const call = harness.directCalls().find((c) => c.hook === 'tokenIsRequiredAsPaymentInput');
    expect(call).to.deep.equal({ hook: 'tokenIsRequiredAsPaymentInput', input: { channel: harness.channel, gateway: ReferencePlugin.id }, previousValue: true });
  });
});
