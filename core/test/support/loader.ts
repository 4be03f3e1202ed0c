import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the plugin loader tests resolve packages from its node_modules. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** What a rejected promise carried: a PayhostError's code, message and details. */
export type Failure = { code?: string; message: string; details?: Record<string, unknown> };

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (err) {
    return err as Failure;
  }
  return expect.fail('expected an error');
}
