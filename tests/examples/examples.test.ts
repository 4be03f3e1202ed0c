import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

describe('README examples', () => {
  it('the host app runs: lists the JPY gateway and authorizes 1200 JPY (auto-capture off)', async () => {
    const { stdout } = await run(process.execPath, [join(here, 'host-app.mjs')], { cwd: root });
    expect(stdout).to.include("id: 'payhost.dummy'");
    expect(stdout).to.include("currencies: [ 'JPY' ]");
    expect(stdout.trim().split('\n').at(-1)).to.equal('auth true 1200 JPY');
  });

  it('the README shows the host app exactly as it is in tests/examples/host-app.mjs', async () => {
    const [readme, example] = await Promise.all([readFile(join(root, 'README.md'), 'utf8'), readFile(join(here, 'host-app.mjs'), 'utf8')]);
    expect(readme).to.include(example.trim());
  });
});
