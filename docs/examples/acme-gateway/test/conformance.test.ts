// The contract check every gateway package should run (`npm test`): the conformance suite of @payhost/testkit
// drives the plugin class through a real PluginManager. The Acme sandbox is in memory; a plugin that calls a
// processor over the network points its configuration at a fake server started in `start` instead.
import { describePluginConformance } from '@payhost/testkit/conformance';
import { ACME_TEST_TOKENS, AcmeGatewayPlugin } from '../src/index.js';

describePluginConformance(AcmeGatewayPlugin, {
  // An active instance's configuration; fields left out get the class's defaults.
  configuration: () => ({ api_key: 'sk_test_conformance', public_key: 'pk_test_conformance', supported_currencies: 'USD, JPY, KWD' }),
  // One currency per ISO 4217 exponent the processor supports: amounts are checked in each.
  currencies: { zero: 'JPY', two: 'USD', three: 'KWD' },
  successToken: () => ACME_TEST_TOKENS.success,
  declineToken: () => ACME_TEST_TOKENS.declined,
});
