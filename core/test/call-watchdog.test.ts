import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOST = fileURLToPath(new URL('./fixtures/one-shot/host.mjs', import.meta.url));

/** Runs the one-shot host in its own process; kills it (and says so) after `limitMs`. */
function runHost(mode: string, limitMs = 10_000): Promise<{ code: number | null; stdout: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOST, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, killed });
    });
  });
}

describe('call watchdog: the timeout holds a one-shot process, an idle one exits', () => {
  it('a hung gateway times out as processing_error (plugin_timeout) instead of the process exiting silently', async () => {
    const run = await runHost('hang');
    expect(run.killed).to.equal(false);
    expect(run.stdout.trim()).to.equal('answer: processing_error plugin_timeout');
    expect(run.code).to.equal(0);
  });

  it('a manager left open after its calls settled does not keep the process alive', async () => {
    const run = await runHost('idle');
    expect(run.killed, 'the process was still running').to.equal(false);
    expect(run.stdout.trim()).to.equal('answer: ok');
    expect(run.code).to.equal(0);
  });
});
