import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { STATE_FILE_NAME, wantedStatePath } from '@payhost/plugin-flutterwave';
import { TELEMETRY_HOSTS } from './helpers.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

interface ChildReport {
  attempts: string[];
  processed: boolean;
  refunded: boolean;
  envStatePath: string;
  statePath: string;
  stateFileExists: boolean;
}

/** Runs the fixture in a fresh process: the SDK loads (and phones home) once per process. */
async function child(telemetry: 'on' | 'off', seed: 'seed' | 'noseed'): Promise<ChildReport> {
  const dir = mkdtempSync(join(tmpdir(), 'payhost-flw-telemetry-'));
  try {
    const { stdout } = await run(process.execPath, ['--import=tsx', join(here, 'fixtures', 'telemetry-child.ts'), dir, telemetry, seed], {
      cwd: root,
      env: { ...process.env, FLW_SDK_STATE_PATH: '' },
      timeout: 30_000,
    });
    const report = JSON.parse(stdout) as ChildReport;
    expect(report.statePath).to.equal(join(dir, STATE_FILE_NAME));
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('flutterwave: the SDK telemetry and state file (fresh processes, outside network blocked)', function () {
  this.timeout(60_000);

  it('the SDK tries to reach its telemetry hosts on first use: refused by nock, and the plugin works regardless', async () => {
    const report = await child('on', 'noseed');
    expect(report.processed, 'payment verified').to.equal(true);
    expect(report.refunded, 'refund made').to.equal(true);
    expect(report.attempts).to.include('api.ravepay.co');
    expect(report.attempts).to.include('signozservice-prod.f4b-flutterwave.com');
    expect(report.attempts.every((h) => TELEMETRY_HOSTS.includes(h)), report.attempts.join(', ')).to.equal(true);
    expect(report.envStatePath).to.equal(report.statePath);
    expect(report.stateFileExists, 'no app id came back, so nothing was written').to.equal(false);
  });

  it('the plugin sets FLW_SDK_STATE_PATH before the SDK loads: a state file seeded there is read (then every call would report)', async () => {
    const report = await child('on', 'seed');
    expect(report.processed && report.refunded).to.equal(true);
    expect(report.attempts, 'no identity lookup: the app id came from our state file').to.not.include('api.ravepay.co');
    expect(report.attempts.filter((h) => h === 'signozservice-prod.f4b-flutterwave.com').length, 'request.sent per API call').to.be.at.least(2);
  });

  it('sdk_telemetry: false silences the SDK telemetry: nothing even tries to leave', async () => {
    const report = await child('off', 'seed');
    expect(report.processed && report.refunded).to.equal(true);
    expect(report.attempts).to.deep.equal([]);
  });

  it('state file path: the configured directory, else an operator-set FLW_SDK_STATE_PATH, else os.tmpdir()', () => {
    expect(wantedStatePath('/var/lib/payhost', {})).to.equal(join('/var/lib/payhost', STATE_FILE_NAME));
    expect(wantedStatePath(null, { FLW_SDK_STATE_PATH: '/srv/flw.json' })).to.equal('/srv/flw.json');
    expect(wantedStatePath(null, {})).to.equal(join(tmpdir(), STATE_FILE_NAME));
  });
});
