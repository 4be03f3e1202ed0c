import { MemoryLedgerStore, PluginManager, type LedgerStore } from '@payhost/core';
import { createPgliteStore, createPostgresStore } from '@payhost/store-postgres';
import { FILE_PROCESSOR_ID, FileProcessorPlugin } from './file-processor.js';

export const CHANNEL = 'web';
export const GATEWAY = FILE_PROCESSOR_ID;

/** Where a ledger lives; serializable, so a child process can open the same one. */
export type StoreSpec =
  | { kind: 'memory' }
  | { kind: 'pglite'; dataDir?: string }
  | { kind: 'postgres'; url: string; schema: string; poolMax?: number };

export async function openStore(spec: StoreSpec): Promise<LedgerStore> {
  switch (spec.kind) {
    case 'memory':
      return new MemoryLedgerStore();
    case 'pglite':
      return createPgliteStore(spec.dataDir === undefined ? {} : { dataDir: spec.dataDir });
    case 'postgres':
      return createPostgresStore({ connectionString: spec.url, schema: spec.schema, pool: { max: spec.poolMax ?? 10, connectionTimeoutMillis: 5_000 } });
  }
}

export interface ProcessorOptions {
  /** The processor's state directory (shared by every process of a test). */
  stateDir: string;
  autoCapture?: boolean;
  /** Whether getTransactionStatus answers (false: "cannot tell"). */
  canTell?: boolean;
}

/** A manager with one channel whose only gateway is the file-backed processor. */
export function processorManager(options: ProcessorOptions): PluginManager {
  return new PluginManager({
    plugins: [FileProcessorPlugin],
    config: {
      channels: [
        {
          slug: CHANNEL,
          currencies: ['USD'],
          plugins: {
            [GATEWAY]: {
              active: true,
              configuration: {
                state_dir: options.stateDir,
                supported_currencies: 'USD',
                auto_capture: options.autoCapture ?? true,
                can_tell: options.canTell ?? true,
              },
            },
          },
        },
      ],
    },
  });
}
