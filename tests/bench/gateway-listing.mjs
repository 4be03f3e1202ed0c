// Cost of listPaymentGateways({ channel, currency }) as the number of channels
// grows: a manager with 10 channels against one with 10,000, queried on a
// random channel each call.
import { BasePlugin, PluginManager, gatewayConfigFromValues } from '@payhost/core';
import { compare, ns, spread } from './harness.mjs';

export const name = 'gateway-listing';
export const description = 'listPaymentGateways() with 10 vs 10,000 channels';

const SIZES = [10, 10_000];
const TARGET = 1.2;
const CURRENCIES = ['USD', 'EUR'];
/** Length of the pre-drawn query sequence, the same for every size. */
const QUERIES = 20_000;

const gatewayFields = {
  supported_currencies: { type: 'String', label: 'Supported currencies' },
  auto_capture: { type: 'Boolean', label: 'Auto capture' },
  api_key: { type: 'String', label: 'Public key' },
  secret_key: { type: 'Secret', label: 'Secret key' },
};

/** A gateway plugin as a real one looks to the listing: a gateway config and a public config hook. */
class BenchGatewayA extends BasePlugin {
  static id = 'bench.gateway-a';
  static pluginName = 'Bench gateway A';
  static configStructure = gatewayFields;
  static defaultConfiguration = { supported_currencies: 'USD,EUR', auto_capture: true, api_key: 'pk_a', secret_key: null };

  gatewayConfig() {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async getPaymentConfig(_input, previousValue) {
    return [...previousValue, { field: 'api_key', value: String(this.configuration.api_key) }];
  }
  async processPayment() {
    return null;
  }
}

class BenchGatewayB extends BenchGatewayA {
  static id = 'bench.gateway-b';
  static pluginName = 'Bench gateway B';
  static defaultConfiguration = { ...BenchGatewayA.defaultConfiguration, supported_currencies: 'EUR', api_key: 'pk_b' };
}

/**
 * Channel i: gateway A (USD, EUR) always; gateway B (EUR) active on odd
 * channels only. Each channel has keys of its own, as real ones do, so no two
 * channels' listings have the same content.
 */
function config(channels) {
  return {
    channels: Array.from({ length: channels }, (_, i) => ({
      slug: `channel-${i}`,
      currencies: CURRENCIES,
      defaultGateways: { USD: BenchGatewayA.id, EUR: BenchGatewayA.id },
      plugins: {
        [BenchGatewayA.id]: { active: true, configuration: { api_key: `pk_a_${i}` } },
        [BenchGatewayB.id]: { active: i % 2 === 1, configuration: { api_key: `pk_b_${i}` } },
      },
    })),
  };
}

/** A small deterministic PRNG, so both sizes query the same kind of sequence on every run. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function setup(channels) {
  const t0 = performance.now();
  const manager = new PluginManager({ plugins: [BenchGatewayA, BenchGatewayB], config: config(channels) });
  const buildMs = performance.now() - t0;
  // First use of a (channel, currency) runs its listing hooks (and the manager
  // keeps the listing); do it for all of them before measuring, and report it on its own.
  const t1 = performance.now();
  for (let i = 0; i < channels; i++) {
    for (const currency of CURRENCIES) {
      const list = await manager.listPaymentGateways({ channel: `channel-${i}`, currency });
      const expected = currency === 'EUR' && i % 2 === 1 ? 2 : 1;
      if (list.length !== expected) throw new Error(`channel-${i} ${currency}: ${list.length} gateways, expected ${expected}`);
      if (list[0].config[0]?.value !== `pk_a_${i}`) throw new Error(`channel-${i} ${currency}: listed ${JSON.stringify(list[0].config)}`);
    }
  }
  const firstUseUs = ((performance.now() - t1) * 1000) / (channels * CURRENCIES.length);
  return { channels, manager, buildMs, firstUseUs };
}

/** A pre-drawn query sequence of QUERIES calls; `pick(k, random)` gives the k-th call's channel index. */
function queries(seed, pick) {
  const random = prng(seed);
  return Array.from({ length: QUERIES }, (_, k) => ({
    channel: `channel-${pick(k, random)}`,
    currency: CURRENCIES[Math.floor(random() * CURRENCIES.length)],
  }));
}

function variant(name, manager, list) {
  return { name, op: (i) => manager.listPaymentGateways(list[i % QUERIES]) };
}

export async function run(report) {
  const [small, large] = [await setup(SIZES[0]), await setup(SIZES[1])];
  const n = large.channels;
  const result = await compare(
    [
      variant('small', small.manager, queries(1, (_, random) => Math.floor(random() * small.channels))),
      variant('large', large.manager, queries(2, (_, random) => Math.floor(random() * n))),
      // Two diagnostics, no target: the same manager in channel order, and on 10 of its channels only.
      variant('large-in-order', large.manager, queries(3, (k) => k % n)),
      variant('large-10-hot', large.manager, queries(4, (_, random) => Math.floor(random() * 10) * Math.floor(n / 10))),
    ],
    // Longer batches: with 10,000 channels the heap is large and a young-generation GC takes milliseconds;
    // a batch should hold several, not sometimes one and sometimes none.
    report.settings(report.options.quick ? {} : { batchMs: 40, rounds: 15 }),
  );
  const fmt = (count) => count.toLocaleString('en-US');
  const row = (label, name, cell, setupOf) => [
    label,
    ns(result.variants[name].median),
    cell ?? `${result.ratio(name, 'small').median.toFixed(2)}x (info)`,
    name === 'small' ? '' : spread(result.ratio(name, 'small')),
    setupOf ? setupOf.buildMs.toFixed(0) : '',
    setupOf ? setupOf.firstUseUs.toFixed(1) : '',
  ];
  report.table(
    ['channels (queried)', 'listPaymentGateways ns/op', `ratio to ${fmt(small.channels)} (<= ${TARGET}x)`, 'p25-p75', 'build ms', 'first use us/query'],
    [
      row(`${fmt(small.channels)} (random)`, 'small', '1.00x (baseline)', small),
      row(`${fmt(n)} (random)`, 'large', report.check(`listPaymentGateways, ${fmt(n)} vs ${fmt(small.channels)} channels`, result.ratio('large', 'small'), TARGET), large),
      row(`${fmt(n)} (in channel order)`, 'large-in-order'),
      row(`${fmt(n)} (10 of them)`, 'large-10-hot'),
    ],
  );
  report.note('Each call lists the gateways of a random channel and currency (USD: 1 gateway; EUR: 1 or 2; keys differ per');
  report.note(`channel); the two (info) rows query the ${fmt(n)}-channel manager in channel order, and on 10 of its channels only.`);
  report.note('First use of a channel and currency runs its listing hooks; it is done for every pair before timing and shown apart.');
  await small.manager.close();
  await large.manager.close();
}
