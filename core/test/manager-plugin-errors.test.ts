import { expect } from 'chai';
import { PayhostError, PluginManager, type TokenConfig } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { rejection } from './support/loader.js';
import { LEAK_KEY, ScriptedGateway } from './support/scripted-gateway.js';

/** The scripted gateway with a getClientToken that throws what each test makes of its key. */
class ThrowingTokens extends ScriptedGateway {
  static override id = 'acme.throwing-tokens';
  static thrown: (key: string) => unknown = () => new Error('unset');
  async getClientToken(_input: TokenConfig): Promise<string> {
    throw ThrowingTokens.thrown(String(this.configuration['api_key']));
  }
}

function manager(): PluginManager {
  return new PluginManager({
    plugins: [ThrowingTokens],
    config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { [ThrowingTokens.id]: { active: true, configuration: { api_key: LEAK_KEY } } } }] },
    logger: captureLogger().logger,
  });
}

const askToken = (m: PluginManager) => m.getClientToken({ channel: 'web', gateway: ThrowingTokens.id });

describe("manager: a plugin's typed error from getClientToken, as the host hands it on", () => {
  it("has the plugin's secrets scrubbed out of its message and details, and no cause holding them", async () => {
    ThrowingTokens.thrown = (key) => new PayhostError('acme_token_failed', `token failed for ${key}`, { key, attempts: [{ note: `sent ${key}` }], retry: false }, { cause: new Error(key) });
    const m = manager();
    try {
      const err = await rejection(askToken(m));
      expect(err).to.be.instanceOf(PayhostError);
      expect(err.code).to.equal('acme_token_failed');
      expect(err.message).to.equal('token failed for [redacted]');
      expect(err.details).to.deep.equal({ key: '[redacted]', attempts: [{ note: 'sent [redacted]' }], retry: false });
      expect((err as PayhostError).cause).to.equal(undefined);
      expect(JSON.stringify(err)).to.not.include(LEAK_KEY);
    } finally {
      await m.close();
    }
  });

  it('is handed on as it is when it holds no secret', async () => {
    const thrown = new PayhostError('acme_token_failed', 'token failed', { retry: true });
    ThrowingTokens.thrown = () => thrown;
    const m = manager();
    try {
      expect(await rejection(askToken(m))).to.equal(thrown);
    } finally {
      await m.close();
    }
  });
});

describe("manager: a plugin's typed error from getClientToken keeps its code only when the host does not use it", () => {
  for (const code of ['unauthorized', 'payment_not_found', 'plugin_timeout', 'shutting_down', 'internal_error', 'route_not_found', 'range_not_satisfiable', 'rate_limited']) {
    it(`"${code}" (the host's own) becomes plugin_failed with the plugin's code in details.pluginCode`, async () => {
      ThrowingTokens.thrown = (key) => new PayhostError(code, `no access with ${key}`, { key });
      const m = manager();
      try {
        const err = await rejection(askToken(m));
        expect(err.code).to.equal('plugin_failed');
        expect(err.details).to.deep.equal({ gateway: ThrowingTokens.id, reason: 'rejected', pluginCode: code });
        expect(err.message).to.equal(`Gateway "${ThrowingTokens.id}" failed when asked for a client token: it raised "${code}", a code the host keeps for itself`);
      } finally {
        await m.close();
      }
    });
  }

  for (const code of ['invalid_input', 'invalid_amount', 'currency_not_supported', 'acme_token_failed']) {
    it(`"${code}" (a refusal of the request, or the plugin's own) is handed on`, async () => {
      ThrowingTokens.thrown = () => new PayhostError(code, 'refused', { field: 'amount' });
      const m = manager();
      try {
        const err = await rejection(askToken(m));
        expect(err.code).to.equal(code);
        expect(err.details).to.deep.equal({ field: 'amount' });
      } finally {
        await m.close();
      }
    });
  }
});
