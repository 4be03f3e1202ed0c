// The guide's example plugin (docs/examples/acme-gateway) must pass the conformance suite the guide tells
// authors to run. Its own test file (shown in docs/plugin-guide.md and packages/testkit/README.md) runs here,
// on the example's sources, so neither the example nor the adapter the docs show can drift from the contract.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../../docs/examples/acme-gateway/test/conformance.test.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe("the testkit README shows the example's conformance test", () => {
  it('packages/testkit/README.md includes docs/examples/acme-gateway/test/conformance.test.ts verbatim', () => {
    const readme = readFileSync(join(root, 'packages', 'testkit', 'README.md'), 'utf8');
    const example = readFileSync(join(root, 'docs', 'examples', 'acme-gateway', 'test', 'conformance.test.ts'), 'utf8');
    expect(readme).to.include(example.trim());
  });
});
