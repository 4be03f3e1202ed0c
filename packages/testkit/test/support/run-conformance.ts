import Mocha from 'mocha';
import type { PluginClass } from '@payhost/core';
import { describePluginConformance, type ConformanceAdapter, type MochaLike } from '@payhost/testkit/conformance';

export interface ConformanceFailure {
  /** The failed test's (or hook's) full title. */
  title: string;
  message: string;
}

export interface ConformanceRun {
  passes: string[];
  failures: ConformanceFailure[];
}

/** Reports nothing: the breakage tests read the runner's events instead. */
class SilentReporter extends Mocha.reporters.Base {}

/**
 * Runs the conformance suite for one plugin on its own Mocha instance (not
 * the one running this file) and collects what passed and what failed, with
 * the failure messages a plugin author would see.
 */
export function runConformance<Env>(plugin: PluginClass, adapter: ConformanceAdapter<Env>): Promise<ConformanceRun> {
  const mocha = new Mocha({ reporter: SilentReporter, timeout: 20_000 });
  // The BDD interface fills in describe/it/before/after on the context handed to 'pre-require':
  // a plain object here, so mocha's globals (this run's) are left alone.
  const context = {} as Mocha.MochaGlobals;
  mocha.suite.emit('pre-require', context, 'conformance-fixture', mocha);
  describePluginConformance(plugin, adapter, { mocha: context as unknown as MochaLike });
  return new Promise((resolve) => {
    const run: ConformanceRun = { passes: [], failures: [] };
    const runner = mocha.run(() => {
      // Removes the runner's process listeners (uncaughtException, unhandledRejection).
      mocha.dispose();
      resolve(run);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test) => run.passes.push(test.fullTitle()));
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, err: Error) => run.failures.push({ title: test.fullTitle(), message: err.message }));
  });
}

export function formatFailures(failures: readonly ConformanceFailure[]): string {
  return failures.length === 0 ? '(none)' : failures.map((f) => `* ${f.title}\n    ${f.message.replace(/\n/g, '\n    ')}`).join('\n');
}
