import { DUMMY_TOKENS, DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { describePluginConformance } from '@payhost/testkit/conformance';

// The dummy gateway has no network and no webhooks: the suite checks its
// metadata, hooks and answers (amounts stay Decimals; there is no wire format).
describePluginConformance(DummyGatewayPlugin, {
  configuration: () => ({ supported_currencies: 'USD, JPY, KWD', auto_capture: true }),
  currencies: { zero: 'JPY', two: 'USD', three: 'KWD' },
  successToken: () => DUMMY_TOKENS.success,
  declineToken: () => DUMMY_TOKENS.declined,
  threeDSecure: { token: () => DUMMY_TOKENS.threeDSecure },
});
