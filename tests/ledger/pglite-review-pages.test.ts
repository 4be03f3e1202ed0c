import { reviewPagesSuite } from '../../core/test/ledger/support/review-pages.js';
import { openMigratedPgliteStore } from '../support/pglite-template.js';

// The review list a page at a time on the embedded PostgreSQL store (a fresh migrated copy per test).
reviewPagesSuite('PGlite', () => openMigratedPgliteStore());
