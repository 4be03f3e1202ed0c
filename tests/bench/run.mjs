#!/usr/bin/env node
// Runs the benchmark modules in order and prints their figures.
//
//   npm run bench                      # build, then every module
//   npm run bench -- hook              # only modules whose name contains "hook"
//   node tests/bench/run.mjs --quick   # smoke run: few short rounds, figures not meaningful
//   node tests/bench/run.mjs --strict  # exit code 1 when a target is missed
//   node tests/bench/run.mjs --clock=wall  # elapsed time instead of CPU time
//
// To add a benchmark: write tests/bench/<name>.mjs exporting `name`,
// `description` and `async function run(report)` (see harness.mjs for
// `compare` and the Report helpers), then list it in MODULES below. A
// filter matches the file name.
import { parseOptions, Report } from './harness.mjs';

const MODULES = ['./hook-dispatch.mjs', './gateway-listing.mjs', './http-payments.mjs', './ledger-lifecycles.mjs'];

const options = parseOptions(process.argv.slice(2));
if (options.help) {
  console.log('usage: node tests/bench/run.mjs [--quick] [--strict] [--clock=cpu|wall] [filter ...]');
  process.exit(0);
}

// Filters match file names; only the selected modules are imported (one may need services or packages the others do not).
const nameOf = (path) => path.replace(/^.*\//, '').replace(/\.mjs$/, '');
const paths = options.filters.length === 0 ? MODULES : MODULES.filter((p) => options.filters.some((f) => nameOf(p).toLowerCase().includes(f)));
if (paths.length === 0) {
  console.error(`No benchmark matches ${options.filters.join(', ')}; available: ${MODULES.map(nameOf).join(', ')}`);
  process.exit(2);
}

console.log(
  `payhost benchmarks — node ${process.version}, ${process.platform}/${process.arch}, ${options.clock} time${options.quick ? ', --quick (smoke run, figures not meaningful)' : ''}`,
);
const report = new Report(options);
for (const path of paths) {
  const module = await import(path);
  report.section(`${module.name}: ${module.description}`);
  const started = performance.now();
  await module.run(report);
  report.note(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
report.summary();
if (options.strict && report.checks.some((c) => !c.ok)) process.exitCode = 1;
