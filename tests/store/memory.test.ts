import { MemoryLedgerStore } from '@payhost/core';
import { describeLedgerStoreConformance } from './conformance.js';

describeLedgerStoreConformance('MemoryLedgerStore', async () => new MemoryLedgerStore());
