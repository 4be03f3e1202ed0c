import { MemoryLedgerStore } from '@payhost/core';
import { reviewPagesSuite } from './support/review-pages.js';

// The review list a page at a time on the memory store (tests/ledger/pglite-review-pages.test.ts: on PGlite).
reviewPagesSuite('memory', () => Promise.resolve(new MemoryLedgerStore()));
