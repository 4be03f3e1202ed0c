// A process whose disk stops flushing: opens the PGlite store in argv[2], commits event "before",
// then makes every host fsync fail with EIO and commits event "after". The store must stop the
// process (SIGKILL) rather than hang or acknowledge the unflushed commit.
import fs from 'node:fs';
import { createPgliteStore } from '@payhost/store-postgres';

const store = await createPgliteStore({ dataDir: process.argv[2] });
const insert = (id) =>
  store.driver.session(async (c) => {
    await c.exec('BEGIN');
    await c.query('INSERT INTO webhook_events (gateway, event_id, received_at) VALUES ($1, $2, now())', ['test', id]);
    await c.exec('COMMIT');
  });
await insert('before');
process.stdout.write('committed before\n');
fs.fsyncSync = () => {
  throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
};
await insert('after');
process.stdout.write('acknowledged after\n');
await store.close();
