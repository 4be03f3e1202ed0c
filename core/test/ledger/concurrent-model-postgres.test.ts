import { createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { concurrentModelProperty } from './support/concurrent-suite.js';

/**
 * The concurrent model (concurrent-model.test.ts: same scenarios, actions and checks) on real
 * PostgreSQL, where transactions do overlap: every run has two PaymentServices, each on a store of
 * its own (its own pool) over one schema, so calls, twins, replays and events of one payment take
 * the advisory PSP-reference lock and wait on each other's row locks across connections (then
 * re-read under READ COMMITTED), which PGlite (one transaction at a time) never does.
 *
 * Knobs: MODEL_POSTGRES_RUNS (default 100, about 30 s on 2 cores; 0 skips), MODEL_SEED, MODEL_FOCUS, MODEL_SLOW as there.
 */

const RUNS = Number(process.env['MODEL_POSTGRES_RUNS'] ?? 100);
const SEED = Number(process.env['MODEL_SEED'] ?? 7);

if (RUNS > 0) {
  describePostgres('ledger: concurrent interleavings against the dummy (fc.scheduler, two pools on one schema)', (pgc) => {
    let stores: SqlLedgerStore[] = [];
    concurrentModelProperty(
      {
        async open() {
          const schema = pgc.newSchema('concurrent_model');
          // The first migrates the schema; the second opens it as a second process would.
          const first = await createPostgresStore({ connectionString: pgc.url, schema, pool: { max: 5 } });
          stores = [first];
          stores.push(await createPostgresStore({ connectionString: pgc.url, schema, migrate: false, pool: { max: 5 } }));
        },
        forRun: () => stores,
        async close() {
          for (const store of stores) await store.close();
        },
      },
      { seed: SEED, numRuns: RUNS, alwaysTwoServices: true },
    );
  });
}
