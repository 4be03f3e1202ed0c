import { expect } from 'chai';
import { BasePlugin, Decimal, PLUGIN_ID_RULE, type GatewayResponse } from '@payhost/core';
import { ConformanceError, assertConforms, checkGatewayConfig, checkGatewayResponse, checkPluginClass, checkWebhookResponse } from '@payhost/testkit/conformance';
import { ReferencePlugin } from './fixtures/reference-plugin.js';

const payment = { amount: new Decimal('10.50'), currency: 'USD' };

function response(overrides: Record<string, unknown> = {}): GatewayResponse {
  return {
    isSuccess: true,
    actionRequired: false,
    kind: 'capture',
    amount: new Decimal('10.50'),
    currency: 'USD',
    transactionId: 'tx_1',
    error: null,
    errorCode: null,
    ...overrides,
  } as GatewayResponse;
}

const declined = { isSuccess: false, error: 'Your card was declined.', errorCode: 'declined' };

describe('testkit conformance checks: checkGatewayResponse', () => {
  it('accepts well-formed successes and failures', () => {
    expect(checkGatewayResponse(response(), payment, { operation: 'processPayment' })).to.deep.equal([]);
    expect(checkGatewayResponse(response({ ...declined, transactionId: '' }), payment, { operation: 'processPayment' })).to.deep.equal([]);
    expect(checkGatewayResponse(response({ kind: 'action_to_confirm', actionRequired: true, actionRequiredData: { url: 'x' } }), payment, { operation: 'processPayment' })).to.deep.equal([]);
    expect(checkGatewayResponse(response({ kind: 'refund', amount: new Decimal('2.5') }), { ...payment, amount: new Decimal('2.50') }, { operation: 'refundPayment' })).to.deep.equal([]);
  });

  it('amounts must be Decimals, exact, with no more decimals than the currency allows', () => {
    expect(checkGatewayResponse(response({ amount: 10.5 }), payment)).to.deep.equal(['amount must be a Decimal, got number 10.5']);
    expect(checkGatewayResponse(response({ amount: '10.50' }), payment)).to.deep.equal(["amount must be a Decimal, got string '10.50'"]);
    expect(checkGatewayResponse(response({ amount: new Decimal('10.505') }), payment)).to.deep.equal(['amount 10.505 has 3 decimal places; USD allows 2 (ISO 4217)']);
    expect(checkGatewayResponse(response({ amount: new Decimal('1050') }), payment, { operation: 'processPayment' })).to.deep.equal(['amount 1050 differs from the requested 10.5 USD']);
    expect(checkGatewayResponse(response({ amount: new Decimal('-1') }), null)).to.deep.equal(['amount must be a finite, non-negative Decimal, got -1']);
  });

  it("the currency must be the payment's ISO 4217 code", () => {
    expect(checkGatewayResponse(response({ currency: 'usd' }), payment)).to.deep.equal(["currency must be the payment's currency USD, got 'usd'"]);
    expect(checkGatewayResponse(response({ currency: 'EUR' }), payment)).to.deep.equal(["currency must be the payment's currency USD, got 'EUR'"]);
    expect(checkGatewayResponse(response({ currency: 'BTC' }), null)).to.deep.equal(["currency must be an ISO 4217 code, got 'BTC'"]);
  });

  it('error codes only from the unified set; a failure needs a code and a message, a success neither', () => {
    expect(checkGatewayResponse(response({ ...declined, errorCode: 'card_declined' }), payment)).to.deep.equal([
      "errorCode 'card_declined' is not a unified error code (expected one of incorrect_number, invalid_number, incorrect_cvv, invalid_cvv, incorrect_zip, incorrect_address, invalid_expiry_date, expired, declined, processing_error)",
    ]);
    expect(checkGatewayResponse(response({ ...declined, errorCode: undefined, error: '' }), payment)).to.deep.equal([
      "a failed response must explain itself in error (a non-empty string), got string ''",
      'a failed response must carry a unified errorCode, got undefined (expected one of incorrect_number, invalid_number, incorrect_cvv, invalid_cvv, incorrect_zip, incorrect_address, invalid_expiry_date, expired, declined, processing_error)',
    ]);
    expect(checkGatewayResponse(response({ errorCode: 'declined', error: 'no' }), payment)).to.deep.equal([
      "a successful response must have error null, got string 'no'",
      "a successful response must have errorCode null, got string 'declined'",
    ]);
  });

  it('kinds must exist and fit the operation', () => {
    expect(checkGatewayResponse(response({ kind: 'charged' }), payment)[0]).to.match(/^kind 'charged' is not a transaction kind \(expected one of action_to_confirm, auth, /);
    expect(checkGatewayResponse(response({ kind: 'capture' }), payment, { operation: 'refundPayment' })).to.deep.equal([
      "kind 'capture' is not a kind refundPayment may return (expected one of refund, refund_failed, refund_ongoing, pending)",
    ]);
    expect(checkGatewayResponse(response({ actionRequired: true }), payment)).to.deep.equal([
      "actionRequired is true but kind is 'capture': an action for the customer is reported with kind action_to_confirm (or pending)",
    ]);
  });

  it('checks flags, ids and optional fields', () => {
    expect(checkGatewayResponse(null, payment)).to.deep.equal(['a GatewayResponse must be an object, got null']);
    expect(checkGatewayResponse(response({ isSuccess: 'yes', transactionId: 7 }), payment)).to.include.members([
      "isSuccess must be a boolean, got string 'yes'",
      'transactionId must be a string, got number 7',
    ]);
    expect(checkGatewayResponse(response({ transactionId: '' }), payment)).to.deep.equal(["transactionId must be a non-empty string on success, got ''"]);
    expect(checkGatewayResponse(response({ cardInfo: { last4: '4242424242424242', expMonth: 13, expYear: 2030, brand: 'visa' } }), payment)).to.deep.equal([
      "cardInfo.last4 must be the card's last 4 digits, got string '4242424242424242'",
      'cardInfo.expMonth must be 1-12, got number 13',
    ]);
  });

  it("names a plugin failure the PluginManager turned into processing_error", () => {
    const replaced = response({ isSuccess: false, error: 'x', errorCode: 'processing_error', rawResponse: { pluginFailure: { code: 'plugin_failed', reason: 'non_promise', plugin: 'p', hook: 'processPayment' } } });
    expect(checkGatewayResponse(replaced, payment)).to.deep.equal([
      "the PluginManager replaced the plugin's answer with a processing_error: the hook processPayment returned a non-promise value (hooks must be async) (plugin_failed)",
    ]);
  });
});

describe('testkit conformance checks: checkPluginClass and checkGatewayConfig', () => {
  it('accepts the reference fixture', () => {
    expect(checkPluginClass(ReferencePlugin)).to.deep.equal([]);
  });

  it('lists every problem of the static metadata', () => {
    class Broken extends BasePlugin {
      static override configStructure = { key: { type: 'Text', label: '' } } as never;
      static override defaultConfiguration = { key: 1, other: 'x' } as never;
      static override defaultActive = 'yes' as never;
    }
    expect(checkPluginClass(Broken)).to.deep.equal([
      'static id must be a non-empty string, got undefined',
      "static pluginName must be a non-empty string (the gateway's display name), got undefined",
      "static defaultActive must be a boolean, got string 'yes'",
      "configStructure field \"key\" has type 'Text'; expected one of String, Multiline, Boolean, Secret, SecretMultiline, Password, Output",
      "configStructure field \"key\" needs a label (a non-empty string), got string ''",
      'defaultConfiguration names "other", which configStructure does not declare',
      'a gateway plugin must implement processPayment',
    ]);
    expect(checkPluginClass({})).to.deep.equal(['the plugin must be a class extending BasePlugin, got object {}']);
  });

  it("names the field type a wrongly-cased type meant, and does not judge a default by a type it cannot know", () => {
    class LowerCase extends ReferencePlugin {
      static override configStructure = { ...ReferencePlugin.configStructure, auto_capture: { type: 'boolean', label: 'Auto capture' } } as never;
      static override defaultConfiguration = { ...ReferencePlugin.defaultConfiguration, auto_capture: true };
    }
    // Not also "defaultConfiguration.auto_capture must be a string or null (a boolean field), got boolean true".
    expect(checkPluginClass(LowerCase)).to.deep.equal([
      "configStructure field \"auto_capture\" has type 'boolean' (did you mean 'Boolean'? field types are case-sensitive); expected one of String, Multiline, Boolean, Secret, SecretMultiline, Password, Output",
    ]);
  });

  it('refuses a receivesSecrets that is not a boolean, or on a field type that holds no address, as the host does', () => {
    const withField = (field: Record<string, unknown>) =>
      class extends ReferencePlugin {
        static override configStructure = { ...ReferencePlugin.configStructure, target: { label: 'Target', ...field } } as never;
      };
    expect(checkPluginClass(withField({ type: 'String', receivesSecrets: 'no' }))).to.deep.equal([
      "configStructure field \"target\" has receivesSecrets string 'no'; expected a boolean",
    ]);
    expect(checkPluginClass(withField({ type: 'Boolean', receivesSecrets: 1 }))).to.deep.equal([
      'configStructure field "target" has receivesSecrets number 1; expected a boolean',
    ]);
    for (const type of ['Secret', 'Password', 'Boolean', 'Output']) {
      expect(checkPluginClass(withField({ type, receivesSecrets: true })), type).to.deep.equal([
        `configStructure field "target" declares receivesSecrets but is of type ${type}, which holds no address: put it on the field holding the address the secrets are sent to (String or Multiline)`,
      ]);
    }
    expect(checkPluginClass(withField({ type: 'String', receivesSecrets: true }))).to.deep.equal([]);
    expect(checkPluginClass(withField({ type: 'Secret', receivesSecrets: false }))).to.deep.equal([]);
  });

  it('refuses an id that cannot be a segment of the plugin URLs, as the host does', () => {
    for (const id of ['Acme Pay', 'acme/gateway', 'acme:card', '..']) {
      class BadId extends ReferencePlugin {
        static override id = id;
      }
      expect(checkPluginClass(BadId)).to.deep.equal([`static id '${id}' is not a valid plugin id (${PLUGIN_ID_RULE}): it is part of the plugin's URLs`]);
    }
  });

  it('checks GatewayConfig flags and ISO 4217 currencies', () => {
    const good = { gatewayName: 'G', autoCapture: true, supportedCurrencies: ['USD', 'JPY'], connectionParams: {}, storeCustomer: false, require3dSecure: false };
    expect(checkGatewayConfig(good)).to.deep.equal([]);
    expect(checkGatewayConfig({ ...good, supportedCurrencies: ['USD', 'usd', 'BTC', 'USD'], autoCapture: 'true' })).to.deep.equal([
      "autoCapture must be a boolean, got string 'true'",
      "supportedCurrencies[1] 'usd' must be upper-case ('USD')",
      "supportedCurrencies[2] 'BTC' is not an ISO 4217 currency code",
      'supportedCurrencies lists USD twice',
    ]);
    expect(checkGatewayConfig(null)).to.deep.equal(['gatewayConfig() returned null: a gateway plugin must describe itself (GatewayConfig)']);
  });
});

describe('testkit conformance checks: checkWebhookResponse and assertConforms', () => {
  it('wants 2xx and well-formed events for a signed delivery, 4xx and none for a bad one', () => {
    const event = { eventId: 'evt_1', type: 'charge.succeeded', response: response() };
    expect(checkWebhookResponse({ status: 200, events: [event] }, { expect: 'accepted' })).to.deep.equal([]);
    expect(checkWebhookResponse({ status: 401, events: [] }, { expect: 'rejected' })).to.deep.equal([]);
    expect(checkWebhookResponse({ status: 200, events: [event] }, { expect: 'rejected' })).to.deep.equal([
      'a badly signed webhook must be refused with a 4xx status, got 200',
      'a refused webhook must carry no events, got 1',
    ]);
    expect(checkWebhookResponse({ status: 200, events: [{ ...event, eventId: '', response: response({ amount: 3 }) }] }, { expect: 'accepted' })).to.deep.equal([
      "events[0].eventId must be a non-empty string (the inbox applies each once), got string ''",
      'events[0].response: amount must be a Decimal, got number 3',
    ]);
    expect(checkWebhookResponse(null, { expect: 'rejected' })).to.deep.equal(['the webhook hook answered null: it must answer every delivery to it with a status']);
    expect(checkWebhookResponse({ status: 200, events: [{ ...event, occurredAt: new Date(1_700_000_000_000) }, { ...event, occurredAt: null }] }, { expect: 'accepted' })).to.deep.equal([]);
    expect(checkWebhookResponse({ status: 200, events: [{ ...event, occurredAt: 1_700_000_000 }, { ...event, occurredAt: new Date('soon') }] }, { expect: 'accepted' })).to.deep.equal([
      'events[0].occurredAt must be a valid Date (when the processor created the event), got number 1700000000',
      'events[1].occurredAt must be a valid Date (when the processor created the event), got an invalid Date',
    ]);
  });

  it('assertConforms throws one error listing every violation', () => {
    expect(() => assertConforms([], 'fine')).to.not.throw();
    expect(() => assertConforms(['a', 'b'], 'heading')).to.throw(ConformanceError, 'heading:\n  - a\n  - b');
  });
});
