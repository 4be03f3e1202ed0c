import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ADMIN_KEY, startServer, testConfigDocument, type ServerOverrides, type TestServer } from './support/harness.js';

/**
 * After a re-encryption, the secrets saved before it (in plain text, or under the old key) are no longer
 * in the embedded database's files: an UPDATE leaves the old row version on disk, and its WAL record in
 * pg_wal, until the table is rewritten and the log moved past it.
 */

const SIGNED_US = '/admin/channels/us-store/plugins/test.signed';
const PLAIN_SECRET = 'whsec_PLAINTEXT_before_the_key_0042';
const NEW_KEY = randomBytes(32).toString('base64');

/** The files under `dir` (relative paths) whose bytes hold `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && readFileSync(path).includes(needle)) found.push(path.slice(dir.length + 1));
    }
  };
  walk(dir);
  return found;
}

describe('server: re-encryption purges the replaced secrets from the embedded database files', function () {
  this.timeout(60_000);
  let dir: string;
  let t: TestServer | null = null;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-purge-'));
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (overrides: ServerOverrides): Promise<TestServer> => {
    const document = testConfigDocument(overrides);
    return startServer({ ...document, server: { ...(document['server'] as object), dataDir: join(dir, 'data') } }, {});
  };

  it('a secret saved in plain text is in the data directory before, and in no file of it after POST /admin/plugin-settings/reencrypt', async () => {
    t = await start({});
    expect((await t.request('PUT', SIGNED_US, { key: ADMIN_KEY, body: { configuration: { webhook_secret: PLAIN_SECRET } } })).status).to.equal(200);
    await t.close();
    t = null;
    // What the review found: the plain-text secret in the files (the table, or the write-ahead log).
    expect(filesHolding(join(dir, 'data'), PLAIN_SECRET)).to.not.deep.equal([]);

    t = await start({ pluginSettingsKey: NEW_KEY });
    const answer = await t.request('POST', '/admin/plugin-settings/reencrypt', { key: ADMIN_KEY });
    expect(answer.status).to.equal(200);
    expect(answer.body.reencrypted.map((c: { plugin: string }) => c.plugin)).to.deep.equal(['test.signed']);
    // The answer says the purge happened (checked in the files below).
    expect(answer.body.purge).to.deep.equal({ purged: true });
    // Still the same settings, now encrypted.
    expect((await t.request('GET', SIGNED_US, { key: ADMIN_KEY })).body.configuration.webhook_secret).to.equal(`****${PLAIN_SECRET.slice(-4)}`);
    await t.close();
    t = null;
    expect(filesHolding(join(dir, 'data'), PLAIN_SECRET)).to.deep.equal([]);
    // And it starts again on them.
    t = await start({ pluginSettingsKey: NEW_KEY });
    expect((await t.request('GET', SIGNED_US, { key: ADMIN_KEY })).body.configuration.webhook_secret).to.equal(`****${PLAIN_SECRET.slice(-4)}`);
  });
});
