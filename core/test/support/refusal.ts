import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';

/** The PayhostError `fn` throws (anything else is rethrown); fails the test when it returns. */
export function refusal(fn: () => unknown): PayhostError {
  try {
    fn();
  } catch (err) {
    if (isPayhostError(err)) return err;
    throw err;
  }
  return expect.fail('expected a PayhostError to be thrown');
}
