import { MemoryLedgerStore } from '@payhost/core';
import { pendingChargeReviewSuite } from './support/pending-charge-review.js';

// Charges still pending at the processor in the review list, and a person's settlement of them (pending-charge-review.ts).
pendingChargeReviewSuite('memory', () => Promise.resolve(new MemoryLedgerStore()));
