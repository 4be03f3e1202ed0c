// Shared measuring and printing helpers for the benchmark modules.
//
// Measuring: every variant of a comparison is an async operation `op(i)`.
// After a warm-up, the variants are timed in rounds; each round runs one batch
// of each variant, back to back, in a rotating order. A ratio is computed per
// round (both sides measured within milliseconds of each other, so a noisy
// neighbour slows both) and the median over rounds is reported, together with
// the median ns/op of each variant.

/** Options every benchmark module receives through `report.options`. */
export function parseOptions(argv) {
  const options = { quick: false, strict: false, clock: 'cpu', filters: [] };
  for (const arg of argv) {
    if (arg === '--quick') options.quick = true;
    else if (arg === '--clock=cpu' || arg === '--clock=wall') options.clock = arg.slice('--clock='.length);
    else if (arg === '--strict') options.strict = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg.startsWith('-')) throw new Error(`Unknown option ${arg}`);
    else options.filters.push(arg.toLowerCase());
  }
  return options;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

/**
 * Clocks, in ns as bigint. `cpu` (the default) is this process's CPU time:
 * time the process spends descheduled on a shared machine does not count, so
 * figures stay comparable under load. `wall` is elapsed time, for benchmarks
 * that wait on I/O.
 */
const CLOCKS = {
  wall: () => process.hrtime.bigint(),
  cpu: () => {
    const u = process.cpuUsage();
    return BigInt(u.user + u.system) * 1000n;
  },
};

/**
 * A batch loop of its own for each variant (compiled from source each time),
 * so its call site of `op` stays monomorphic and one variant's type feedback
 * never slows another's loop.
 */
function batchRunner(clock) {
  // eslint-disable-next-line no-new-func
  return new Function(
    'clock',
    `return async function runBatch(op, n, offset) {
      const start = clock();
      for (let i = 0; i < n; i++) await op(offset + i);
      return Number(clock() - start) / n;
    };`,
  )(CLOCKS[clock]);
}

/**
 * Times `variants` ({ name, op }) interleaved.
 *
 * - warm-up: each variant runs for about `warmupMs` (JIT, caches);
 * - calibration: one batch size `n` for all variants, so that a batch of the
 *   average variant takes about `batchMs`;
 * - `rounds` rounds, each one batch per variant, order rotated every round.
 *
 * Returns { n, rounds, variants: { [name]: { median, p25, p75, samples } }, ratio(a, b) }
 * where ratio(a, b) is { median, p25, p75 } of the per-round ratios a/b.
 */
export async function compare(list, { rounds = 31, batchMs = 10, warmupMs = 400, clock = 'cpu' } = {}) {
  if (!CLOCKS[clock]) throw new Error(`Unknown clock ${clock}`);
  const variants = list.map((v) => ({ ...v, runBatch: batchRunner(clock) }));
  let offset = 0;
  // Warm-up, interleaved in small chunks so no variant is optimised alone.
  const warmEnd = performance.now() + warmupMs * variants.length;
  let chunk = 64;
  while (performance.now() < warmEnd) {
    for (const v of variants) {
      await v.runBatch(v.op, chunk, offset);
      offset += chunk;
    }
    if (chunk < 4096) chunk *= 2;
  }
  // Calibration.
  const probe = [];
  for (const v of variants) probe.push(await v.runBatch(v.op, 2000, (offset += 2000)));
  const avgNs = probe.reduce((a, b) => a + b, 0) / probe.length;
  const n = Math.max(100, Math.round((batchMs * 1e6) / avgNs));
  // Rounds.
  const samples = new Map(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(r + k) % variants.length];
      samples.get(v.name).push(await v.runBatch(v.op, n, offset));
      offset += n;
    }
  }
  const result = { n, rounds, variants: {} };
  for (const [name, list] of samples) {
    result.variants[name] = { median: median(list), p25: quantile(list, 0.25), p75: quantile(list, 0.75), samples: list };
  }
  result.ratio = (a, b) => {
    const xs = samples.get(a).map((x, i) => x / samples.get(b)[i]);
    return { median: median(xs), p25: quantile(xs, 0.25), p75: quantile(xs, 0.75) };
  };
  return result;
}

/** Collects tables and target checks, prints them as it goes. */
export class Report {
  constructor(options, out = (line) => console.log(line)) {
    this.options = options;
    this.out = out;
    this.checks = [];
  }

  /** Measuring settings scaled for --quick (a smoke run, figures not meaningful). */
  settings(overrides = {}) {
    const base = this.options.quick ? { rounds: 5, batchMs: 2, warmupMs: 50 } : { rounds: 31, batchMs: 10, warmupMs: 400 };
    base.clock = this.options.clock;
    return { ...base, ...overrides };
  }

  section(title) {
    this.out('');
    this.out(title);
    this.out('='.repeat(title.length));
  }

  note(text) {
    this.out(text);
  }

  /** Returns "1.07x OK" or "1.34x OVER" and records the check for the summary. */
  check(label, ratio, target) {
    const ok = ratio.median <= target;
    this.checks.push({ label, value: ratio.median, target, ok });
    return `${shown(ratio.median, target)}x ${ok ? 'OK' : 'OVER'}`;
  }

  /** columns: header strings; rows: arrays of cells (numbers are printed as is, right-aligned). */
  table(columns, rows) {
    const cells = [columns, ...rows.map((row) => row.map((c) => String(c)))];
    const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
    const line = (row) => '| ' + row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
    this.out(line(columns));
    this.out('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 1) + '-' : '-'.repeat(w + 1) + ':')).join('|') + '|');
    for (const row of cells.slice(1)) this.out(line(row));
  }

  summary() {
    if (this.checks.length === 0) return;
    const over = this.checks.filter((c) => !c.ok);
    this.section('Targets');
    for (const c of this.checks) this.out(`${c.ok ? 'OK  ' : 'OVER'}  ${c.label}: ${shown(c.value, c.target)}x (target <= ${Number(c.target.toFixed(2))}x)`);
    this.out(over.length === 0 ? `All ${this.checks.length} targets met.` : `${over.length} of ${this.checks.length} targets missed.`);
  }
}

/** A ratio with two decimals, or three when two would hide which side of the target it is on (1.104 vs 1.1). */
function shown(value, target) {
  const two = value.toFixed(2);
  return Number(two) <= target === value <= target ? two : value.toFixed(3);
}

/** ns/op for a table cell. */
export function ns(value) {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** A ratio's spread over rounds, for a table cell ("1.04 (1.01-1.07)"). */
export function spread(ratio) {
  return `${ratio.p25.toFixed(2)}-${ratio.p75.toFixed(2)}`;
}
