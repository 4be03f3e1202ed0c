/**
 * Copies docs/examples files into the docs blocks that include them
 * (`<!-- include: examples/x.ts -->` before a fence). Run after editing an
 * example: `node --import tsx tests/docs/sync-examples.ts`. The doc-example
 * test (tests/docs/examples.test.ts) fails while a block and its file differ.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syncIncludes } from './support/markdown.js';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');
for (const name of readdirSync(docs).filter((n) => n.endsWith('.md'))) {
  const path = join(docs, name);
  const before = readFileSync(path, 'utf8');
  const after = syncIncludes(before, (file) => readFileSync(join(docs, file), 'utf8'));
  if (after !== before) {
    writeFileSync(path, after);
    console.log(`updated docs/${name}`);
  }
}
