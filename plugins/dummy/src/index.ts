import { DummyGatewayPlugin } from './plugin.js';

export { DummyGatewayPlugin };
export {
  DUMMY_TOKENS,
  DUMMY_OUTCOMES,
  DUMMY_TEST_CARDS,
  THREE_D_SECURE_FAILURE,
  tokenizeCard,
  parseToken,
  formatToken,
  luhnValid,
  cardBrand,
  type DummyToken,
  type DummyTokenName,
  type DummyOutcome,
  type DummyCard,
} from './tokens.js';
export { DUMMY_CONFIG_STRUCTURE, DUMMY_DEFAULT_CONFIGURATION, readSettings, type DummySettings } from './config.js';
export { DummyStore, dummyStore, DUMMY_STORE_LIMIT, type DummyCharge, type DummySource, type DummyStoredCard, type ChargeStatus } from './store.js';
export { THREE_D_SECURE_URL, LOST_CHARGE_PREFIX } from './gateway.js';

/** Hosts load the plugin by package name: `import('@payhost/plugin-dummy')` -> default export. */
export default DummyGatewayPlugin;
