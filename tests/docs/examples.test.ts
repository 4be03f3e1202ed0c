/**
 * The docs cannot rot: every TypeScript, JavaScript, JSON and output block in
 * docs/*.md is a file under docs/examples included verbatim; the examples
 * type-check and run with exactly the output the docs show; configuration
 * files validate; the reference tables agree with the code (error codes and
 * HTTP statuses, hooks, field types, server settings, Saleor's transitions).
 * (docs/examples/host-app runs outside the repository, in
 * tests/packaging/third-party.test.ts.)
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  CHARGE_STATUSES,
  CONFIG_FIELD_TYPES,
  Decimal,
  ERROR_CODES,
  PAYMENT_HOOK_NAMES,
  PluginManager,
  TRANSACTION_ERROR_CODES,
  TRANSACTION_KINDS,
  applyTransition,
  isTransactionKind,
  type ChargeStatus,
  type PaymentAmounts,
  type PluginSpec,
} from '@payhost/core';
import { DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { parseServerConfig, SERVER_SECTION_KEYS, statusFor } from '@payhost/server';
import { AcmeGatewayPlugin } from '../../docs/examples/acme-gateway/src/index.js';
import { ROOT, TSC, childEnv, run } from '../packaging/support/npm.js';
import { CHECKED_LANGS, codeSpans, parseBlocks, tableRows, type CodeBlock } from './support/markdown.js';

const DOCS = join(ROOT, 'docs');
const EXAMPLES = join(DOCS, 'examples');
const pages = readdirSync(DOCS).filter((name) => name.endsWith('.md')).sort();
const page = (name: string): string => readFileSync(join(DOCS, name), 'utf8');

/** The examples the docs test runs: every docs/examples/*.ts, each with the output it must print. */
const runnable = readdirSync(EXAMPLES).filter((name) => name.endsWith('.ts')).sort();

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every block of every page, with its page. */
const blocks: Array<CodeBlock & { page: string }> = pages.flatMap((name) => parseBlocks(page(name)).map((block) => ({ ...block, page: name })));

/** GitHub's heading anchors. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    anchors.add(
      (heading[1] as string)
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

describe('docs: every code example is a tested file', function () {
  this.timeout(300_000);

  it('every ts/js/json/text block is a file of docs/examples, included verbatim (fragments are marked and rare)', () => {
    const problems: string[] = [];
    let fragments = 0;
    for (const block of blocks) {
      if (!CHECKED_LANGS.has(block.lang)) continue;
      const where = `docs/${block.page}:${block.open + 1}`;
      if (block.marker?.kind === 'fragment') {
        fragments++;
        continue;
      }
      if (block.marker?.kind !== 'include') {
        problems.push(`${where}: a \`\`\`${block.lang} block needs <!-- include: examples/... --> (or <!-- fragment -->)`);
        continue;
      }
      const file = resolve(DOCS, block.marker.path);
      if (!file.startsWith(EXAMPLES + '/') || !existsSync(file)) {
        problems.push(`${where}: includes ${block.marker.path}, which is not a file of docs/examples`);
        continue;
      }
      if (`${block.content}\n` !== readFileSync(file, 'utf8')) {
        problems.push(`${where}: differs from ${block.marker.path} (run: node --import tsx tests/docs/sync-examples.ts)`);
      }
    }
    expect(problems).to.deep.equal([]);
    expect(fragments, 'fragments (unchecked blocks) stay rare').to.be.at.most(3);
  });

  it('every runnable example and its output are shown in the docs', () => {
    const included = new Set(blocks.flatMap((b) => (b.marker?.kind === 'include' ? [resolve(DOCS, b.marker.path)] : [])));
    for (const name of runnable) {
      const out = name.replace(/\.ts$/, '.out.txt');
      expect(existsSync(join(EXAMPLES, out)), `docs/examples/${out}`).to.equal(true);
      expect(included.has(join(EXAMPLES, name)), `docs/examples/${name} is shown in a page`).to.equal(true);
      expect(included.has(join(EXAMPLES, out)), `docs/examples/${out} is shown in a page`).to.equal(true);
    }
    const outputs = filesUnder(EXAMPLES).filter((f) => f.endsWith('.out.txt'));
    for (const out of outputs) {
      const source = out.replace(/\.out\.txt$/, '.ts');
      const inApp = out.replace(/\.out\.txt$/, '.ts').replace(/host-app\/([^/]+)$/, 'host-app/src/$1');
      expect(existsSync(source) || existsSync(inApp), `${relative(ROOT, out)} belongs to an example`).to.equal(true);
    }
    // The host app is run outside the repository by the packaging test, against these outputs.
    const packaging = readFileSync(join(ROOT, 'tests', 'packaging', 'third-party.test.ts'), 'utf8');
    for (const source of readdirSync(join(EXAMPLES, 'host-app', 'src'))) {
      const out = source.replace(/\.ts$/, '.out.txt');
      expect(existsSync(join(EXAMPLES, 'host-app', out)), `host-app/${out}`).to.equal(true);
      expect(packaging, `the packaging test runs host-app/src/${source}`).to.include(`'src/${source}'`).and.include(`'${out}'`);
    }
  });

  it('relative links and their anchors resolve', () => {
    const problems: string[] = [];
    for (const name of [...pages.map((p) => `docs/${p}`), 'README.md']) {
      const markdown = readFileSync(join(ROOT, name), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const match of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1] as string;
        if (/^[a-z]+:/i.test(target)) continue;
        if (name === 'README.md' && !target.startsWith('docs/')) continue; // the root README: its links into the docs
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? join(ROOT, name) : resolve(dirname(join(ROOT, name)), path);
        if (!existsSync(file)) {
          problems.push(`${name}: link to ${target}: no such file`);
          continue;
        }
        if (anchor && !anchorsOf(readFileSync(file, 'utf8')).has(anchor)) problems.push(`${name}: link to ${target}: no such heading`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('the root README links to every page of the docs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).to.match(/^## Documentation$/m);
    for (const name of pages) expect(readme, `README.md links to docs/${name}`).to.include(`(docs/${name})`);
  });

  it('the examples type-check: docs/examples/tsconfig.json, and the example package with its own tsconfig', async () => {
    await run(process.execPath, [TSC, '-p', join(EXAMPLES, 'tsconfig.json')], { cwd: ROOT });
    await run(process.execPath, [TSC, '-p', join(EXAMPLES, 'acme-gateway', 'tsconfig.json'), '--noEmit'], { cwd: ROOT });
  });

  describe('every runnable example prints exactly its .out.txt', () => {
    for (const name of runnable) {
      it(name, async () => {
        const { stdout } = await run(process.execPath, ['--import', 'tsx', name], { cwd: EXAMPLES, env: childEnv() });
        expect(stdout).to.equal(readFileSync(join(EXAMPLES, name.replace(/\.ts$/, '.out.txt')), 'utf8'));
      });
    }
  });

  it('every configuration file of the examples validates (server file, then the plugin manager)', async () => {
    const files = [...readdirSync(EXAMPLES).filter((n) => n.endsWith('.json') && n !== 'tsconfig.json').map((n) => join(EXAMPLES, n)), join(EXAMPLES, 'host-app', 'payhost.config.json')];
    expect(files.length).to.be.at.least(2);
    const env = {
      ACME_API_KEY: 'sk_acme_test_0123456789',
      PAYHOST_ADMIN_KEY: 'admin-key-0123456789abcdef',
      PAYHOST_PAYMENT_KEY: 'payment-key-0123456789abcdef',
      DATABASE_URL: 'postgres://payhost@127.0.0.1:5432/shop',
      PAYHOST_SETTINGS_KEY: 'q0Vd3XhN7kYb2pRt5sLw8zAe1cFg4jHm6nPu9oIy0TQ=',
    };
    // Plugins by package name; the example package is not installed in the repository: its class stands in.
    const classes: Record<string, PluginSpec> = { '@acme/payhost-plugin-acme': AcmeGatewayPlugin, '@payhost/plugin-dummy': DummyGatewayPlugin };
    for (const file of files) {
      const config = parseServerConfig(JSON.parse(readFileSync(file, 'utf8')), dirname(file), env);
      const manager = await PluginManager.create({ plugins: config.plugins.map((name) => classes[name] ?? name), pluginBaseDir: ROOT, config: config.host, env });
      try {
        expect(manager.listChannels().length, relative(ROOT, file)).to.be.greaterThan(0);
        for (const channel of manager.config.channels) {
          for (const currency of channel.currencies) manager.resolveGateway(channel.slug, currency);
        }
      } finally {
        await manager.close();
      }
    }
    const production = parseServerConfig(JSON.parse(readFileSync(join(EXAMPLES, 'production.config.json'), 'utf8')), EXAMPLES, env);
    expect(production.databaseUrl).to.equal(env.DATABASE_URL);
    expect(production.server.databaseSchema).to.equal('payhost');
    expect(production.server.checkout).to.equal(false);
    // Recommended with the admin API: secrets of saved plugin settings encrypted at rest.
    expect(production.settingsCipher).to.not.equal(null);
  });

  describe('reference tables agree with the code', () => {
    it('errors.md: every error code, with the HTTP status the server answers', () => {
      const rows = tableRows(page('errors.md'));
      const statuses = new Map<string, number>();
      for (const row of rows) {
        const code = codeSpans(row[0] ?? '')[0];
        if (code && /^\d{3}$/.test(row[1] ?? '')) statuses.set(code, Number(row[1]));
      }
      const httpErrors = readFileSync(join(ROOT, 'packages', 'server', 'src', 'http-errors.ts'), 'utf8');
      const serverCodes = [...httpErrors.matchAll(/^\s+(\w+): \d{3},$/gm)].map((m) => m[1] as string);
      expect(serverCodes.length).to.be.greaterThan(10);
      for (const code of [...Object.values(ERROR_CODES), ...serverCodes, 'invalid_json']) {
        expect(statuses.has(code), `errors.md documents ${code}`).to.equal(true);
      }
      for (const [code, status] of statuses) expect(status, `HTTP status of ${code}`).to.equal(statusFor(code));
    });

    it("errors.md: every details.reason of an unusable embedded data directory (dataDirUnusable in store-postgres), in invalid_configuration's row", () => {
      const row = tableRows(page('errors.md')).find((r) => codeSpans(r[0] ?? '')[0] === 'invalid_configuration');
      const src = join(ROOT, 'packages', 'store-postgres', 'src');
      const text = readdirSync(src).filter((name) => name.endsWith('.ts')).map((name) => readFileSync(join(src, name), 'utf8')).join('\n');
      // dataDirUnusable(dataDir, reason text, '<code>', details?): the first quoted word after an argument's comma.
      const reasons = new Set([...text.matchAll(/dataDirUnusable\(\s*dataDir,[\s\S]*?,\s*'([a-z_]+)'\s*[,)]/g)].map((m) => m[1] as string));
      expect([...reasons]).to.include.members(['not_writable', 'not_owner', 'not_private', 'open_failed']);
      for (const reason of reasons) expect(row?.[2], `errors.md's invalid_configuration row names ${reason}`).to.include(`\`${reason}\``);
    });

    it("errors.md: every code of its own a shipped plugin throws (a PayhostError whose code is not core's)", () => {
      const documented = new Set(tableRows(page('errors.md')).flatMap((row) => codeSpans(row[0] ?? '')));
      const thrown: string[] = [];
      for (const plugin of readdirSync(join(ROOT, 'plugins'))) {
        const src = join(ROOT, 'plugins', plugin, 'src');
        const text = readdirSync(src).filter((name) => name.endsWith('.ts')).map((name) => readFileSync(join(src, name), 'utf8')).join('\n');
        for (const [, name] of text.matchAll(/new PayhostError\(([A-Z][A-Z0-9_]*),/g)) {
          const value = new RegExp(`const ${name} = '([a-z_]+)'`).exec(text)?.[1];
          expect(value, `the value of ${name} (plugins/${plugin})`).to.be.a('string');
          thrown.push(value as string);
        }
      }
      expect(thrown).to.include('customer_account_mismatch');
      for (const code of thrown) expect(documented.has(code), `errors.md documents ${code}`).to.equal(true);
    });

    it("errors.md: every webhook answer code of a bundled plugin (reply/reject(<status>, '<code>') in plugins/*/src/webhooks.ts), with its plugin and status", () => {
      const text = page('errors.md');
      const start = text.indexOf('## Webhook answers of the bundled plugins');
      expect(start, 'errors.md has the section').to.be.greaterThan(-1);
      const rows = tableRows(text.slice(start, text.indexOf('\n## ', start + 1)));
      const answered: Array<{ plugin: string; code: string; status: string }> = [];
      for (const plugin of readdirSync(join(ROOT, 'plugins'))) {
        const file = join(ROOT, 'plugins', plugin, 'src', 'webhooks.ts');
        if (!existsSync(file)) continue;
        for (const [, status, code] of readFileSync(file, 'utf8').matchAll(/\b(?:reply|reject)\((\d{3}), '([a-z_]+)'/g)) answered.push({ plugin, code: code as string, status: status as string });
      }
      expect(answered.map((a) => a.code)).to.include.members(['invalid_signature', 'webhook_not_configured', 'verification_failed', 'order_unavailable', 'stale_timestamp']);
      for (const { plugin, code, status } of answered) {
        const row = rows.find((r) => codeSpans(r[0] ?? '').includes(code) && (r[1] ?? '').toLowerCase().includes(plugin));
        expect(row, `errors.md's webhook table has ${code} for ${plugin}`).not.to.equal(undefined);
        expect(row?.[2], `status of ${code} (${plugin})`).to.equal(status);
      }
      // And back: every row's code, for each plugin its Plugin column names, at its status, is an answer of that
      // plugin's webhooks.ts (a row left behind, or naming a plugin that never sends the code, fails).
      expect(rows.length).to.be.greaterThan(10);
      for (const row of rows) {
        const plugins = (row[1] ?? '').split(',').map((name) => name.trim().toLowerCase());
        for (const code of codeSpans(row[0] ?? '')) {
          for (const plugin of plugins) {
            const said = `errors.md's webhook row ${code} | ${row[1]} | ${row[2]}`;
            expect(existsSync(join(ROOT, 'plugins', plugin, 'src', 'webhooks.ts')), `${said}: plugins/${plugin}/src/webhooks.ts`).to.equal(true);
            expect(answered.some((a) => a.plugin === plugin && a.code === code && a.status === row[2]), `${said}: ${plugin} answers ${code} with ${row[2]}`).to.equal(true);
          }
        }
      }
    });

    it('errors.md: every unified transaction error code', () => {
      const documented = new Set(tableRows(page('errors.md')).flatMap((row) => codeSpans(row[0] ?? '')));
      for (const code of TRANSACTION_ERROR_CODES) expect(documented.has(code), `errors.md documents ${code}`).to.equal(true);
    });

    it('hooks.md: every payment hook', () => {
      const documented = new Set(tableRows(page('hooks.md')).flatMap((row) => codeSpans(row[0] ?? '')));
      for (const hook of PAYMENT_HOOK_NAMES) expect(documented.has(hook), `hooks.md documents ${hook}`).to.equal(true);
    });

    it('configuration.md (and the server README): every field type and every key of the server file', () => {
      const documented = new Set(tableRows(page('configuration.md')).flatMap((row) => codeSpans(row[0] ?? '')));
      for (const type of CONFIG_FIELD_TYPES) expect(documented.has(type), `configuration.md documents ${type}`).to.equal(true);
      const keys = [...SERVER_SECTION_KEYS.map((k) => `server.${k}`), 'auth.adminApiKey', 'auth.paymentApiKey', 'plugins', 'channels', 'globalPlugins'];
      for (const key of keys) expect(documented.has(key), `configuration.md documents ${key}`).to.equal(true);
      // The server's README has its own table of the server file's keys.
      const inReadme = new Set(tableRows(readFileSync(join(ROOT, 'packages', 'server', 'README.md'), 'utf8')).flatMap((row) => codeSpans(row[0] ?? '')));
      for (const key of keys.filter((k) => k.startsWith('server.') || k.startsWith('auth.'))) expect(inReadme.has(key), `packages/server/README.md documents ${key}`).to.equal(true);
    });

    it('payment-lifecycle.md: every charge status and transaction kind, and every transition row holds', () => {
      const markdown = page('payment-lifecycle.md');
      const spans = new Set(codeSpans(markdown));
      for (const name of [...CHARGE_STATUSES, ...TRANSACTION_KINDS]) expect(spans.has(name), `payment-lifecycle.md names ${name}`).to.equal(true);

      const state = (cell: string): PaymentAmounts => {
        const status = codeSpans(cell)[0] as ChargeStatus;
        expect(CHARGE_STATUSES as readonly string[], cell).to.include(status);
        const authorized = /authorized (\d+)/.exec(cell)?.[1];
        const captured = /captured (\d+)/.exec(cell)?.[1];
        if (authorized === undefined || captured === undefined) throw new Error(`Cannot read "${cell}"`);
        return {
          chargeStatus: status,
          total: new Decimal(100),
          authorizedAmount: new Decimal(authorized),
          capturedAmount: new Decimal(captured),
          toConfirm: /to confirm/.test(cell),
          isActive: !/inactive/.test(cell),
        };
      };
      const plain = (p: PaymentAmounts) => ({ ...p, total: p.total.toString(), authorizedAmount: p.authorizedAmount.toString(), capturedAmount: p.capturedAmount.toString() });
      let checked = 0;
      for (const row of tableRows(markdown)) {
        const kind = codeSpans(row[0] ?? '')[0];
        if (row.length !== 3 || !isTransactionKind(kind) || !/authorized/.test(row[1] ?? '')) continue;
        const amount = /`\s+(\d+)/.exec(row[0] as string)?.[1];
        if (amount === undefined) throw new Error(`No amount in "${row[0]}"`);
        const after = applyTransition(state(row[1] as string), {
          kind,
          amount: new Decimal(amount),
          isSuccess: !/,\s*failed\b/.test(row[0] as string),
          actionRequired: /,\s*action required\b/.test(row[0] as string),
        });
        expect(plain(after), `transition row: ${row.join(' | ')}`).to.deep.equal(plain(state(row[2] as string)));
        checked++;
      }
      expect(checked, 'transition rows checked').to.be.at.least(15);
    });
  });
});
