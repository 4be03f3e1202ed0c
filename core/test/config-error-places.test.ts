import { expect } from 'chai';
import { PluginManager, type HostConfigInput, type PayhostError } from '@payhost/core';
import { GatewayA, GatewayB, GlobalTagger } from './support/plugins.js';
import { refusal } from './support/refusal.js';

/** The PayhostError building a manager on `config` throws. */
const refusalOf = (config: HostConfigInput): PayhostError => refusal(() => new PluginManager({ plugins: [GatewayA, GatewayB, GlobalTagger], config }));

const usStore = { slug: 'us-store', currencies: ['USD'], plugins: { 'test.gateway-a': { active: true } } };
const REGISTERED = '(registered plugin ids: test.gateway-a, test.gateway-b, test.global-tagger)';

// docs/configuration.md: a mistake is an invalid_configuration error naming the place. These name the
// channel's index and slug and the path in the file, as the schema errors do ('Invalid configuration at "…"').
describe('config: errors name their place (channel and path)', () => {
  it('an unregistered plugin in a channel: the channel and the path of its entry', () => {
    const err = refusalOf({ channels: [usStore, { slug: 'eu-store', currencies: ['EUR'], plugins: { 'payhost.nope': { active: true } } }] });
    expect(err.code).to.equal('invalid_configuration');
    expect(err.message).to.equal(`Invalid configuration at "channels.1.plugins.payhost.nope" (channel "eu-store"): plugin "payhost.nope" is configured but not registered ${REGISTERED}`);
    expect(err.details).to.deep.include({ channel: 'eu-store', plugin: 'payhost.nope', path: 'channels.1.plugins.payhost.nope' });
  });

  it('a currency without minor units: the channel and the index in its currencies', () => {
    const err = refusalOf({ channels: [{ ...usStore, currencies: ['USD', 'XAU'] }] });
    expect(err.code).to.equal('invalid_configuration');
    expect(err.message).to.match(/^Invalid configuration at "channels\.0\.currencies\.1" \(channel "us-store"\): "XAU" is an ISO 4217 code without minor units/);
    expect(err.details).to.deep.include({ channel: 'us-store', currency: 'XAU', path: 'channels.0.currencies.1' });
  });

  it('a default gateway key without minor units, or naming an unregistered gateway: the key in defaultGateways', () => {
    const key = refusalOf({ channels: [{ ...usStore, defaultGateways: { XTS: 'test.gateway-a' } }] });
    expect(key.message).to.match(/^Invalid configuration at "channels\.0\.defaultGateways\.XTS" \(channel "us-store"\): "XTS" is an ISO 4217 code without minor units/);
    expect(key.details).to.deep.include({ channel: 'us-store', path: 'channels.0.defaultGateways.XTS' });
    const gateway = refusalOf({ channels: [{ ...usStore, defaultGateways: { usd: 'acme.gone' } }] });
    expect(gateway.message).to.equal(`Invalid configuration at "channels.0.defaultGateways.usd" (channel "us-store"): plugin "acme.gone" is configured but not registered ${REGISTERED}`);
    expect(gateway.details).to.deep.include({ channel: 'us-store', plugin: 'acme.gone', path: 'channels.0.defaultGateways.usd' });
  });

  it('an unregistered global plugin: its path under globalPlugins, no channel', () => {
    const err = refusalOf({ channels: [usStore], globalPlugins: { 'acme.audit': { active: true } } });
    expect(err.message).to.equal(`Invalid configuration at "globalPlugins.acme.audit": plugin "acme.audit" is configured but not registered ${REGISTERED}`);
    expect(err.details).to.deep.include({ channel: null, plugin: 'acme.audit', path: 'globalPlugins.acme.audit' });
  });
});
