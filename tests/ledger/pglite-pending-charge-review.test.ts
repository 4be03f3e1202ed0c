import { pendingChargeReviewSuite } from '../../core/test/ledger/support/pending-charge-review.js';
import { openMigratedPgliteStore } from '../support/pglite-template.js';

// The review of charges still pending at the processor on the embedded PostgreSQL store (a fresh migrated copy per test):
// the failure a person records, its event id and the payment's update are written in one SQL transaction.
pendingChargeReviewSuite('PGlite', () => openMigratedPgliteStore());
