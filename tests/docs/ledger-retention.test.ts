import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { createPostgresStore } from '@payhost/store-postgres';
import { ROOT } from '../packaging/support/npm.js';
import { describePostgres } from '../ledger/support/postgres.js';
import { parseBlocks } from './support/markdown.js';

/**
 * docs/operating.md, "Ledger growth and retention": its pruning SQL, taken from the page as printed, runs
 * against a schema payhost's migrations made, and deletes what it says (done keys and event ids older than
 * 30 days) and nothing else (keys in flight, whatever their age; younger rows). A renamed column fails here.
 */
function pruningSql(): string {
  const page = readFileSync(join(ROOT, 'docs', 'operating.md'), 'utf8');
  const lines = page.split('\n');
  const start = lines.findIndex((line) => line === '## Ledger growth and retention');
  expect(start, 'the section').to.be.greaterThan(-1);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const blocks = parseBlocks(lines.slice(start, end).join('\n')).filter((b) => b.lang === 'sql');
  expect(blocks, 'one sql block in the section').to.have.length(1);
  return (blocks[0] as { content: string }).content;
}

describePostgres('docs: the ledger pruning SQL of operating.md', ({ url, newSchema, asOwner }) => {
  it('deletes done idempotency keys and webhook event ids older than 30 days, keeps the rest', async () => {
    const schema = newSchema('retention');
    const store = await createPostgresStore({ connectionString: url, schema, pool: { max: 1, connectionTimeoutMillis: 5_000 } });
    await store.close();
    const sql = pruningSql();
    const remaining = await asOwner(async (c) => {
      await c.query(`SET search_path TO "${schema}"`);
      const key = (name: string, state: string, age: string): Promise<unknown> =>
        c.query(
          `INSERT INTO idempotency_keys (key, request_hash, state, response, created_at, updated_at)
           VALUES ($1, 'h', $2, $3, now() - $4::interval - interval '1 day', now() - $4::interval)`,
          [name, state, state === 'done' ? JSON.stringify({ ok: true }) : null, age],
        );
      await key('old-done', 'done', '31 days');
      await key('young-done', 'done', '29 days');
      await key('old-in-flight', 'in_flight', '90 days');
      const event = (id: string, age: string): Promise<unknown> => c.query(`INSERT INTO webhook_events (gateway, event_id, received_at) VALUES ('g', $1, now() - $2::interval)`, [id, age]);
      await event('evt-old', '31 days');
      await event('evt-young', '29 days');
      await c.query(sql);
      const keys = (await c.query<{ key: string }>('SELECT key FROM idempotency_keys ORDER BY key')).rows.map((r) => r.key);
      const events = (await c.query<{ event_id: string }>('SELECT event_id FROM webhook_events ORDER BY event_id')).rows.map((r) => r.event_id);
      return { keys, events };
    });
    expect(remaining).to.deep.equal({ keys: ['old-in-flight', 'young-done'], events: ['evt-young'] });
  });
});
