import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type CliIo } from '@payhost/cli';

/** The server tests' plugins (dummy-like gateways, a signed webhook plugin), loaded by path from a config. */
export const serverTestPlugins = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'server', 'test', 'fixtures', 'test-plugins.mjs');

/** Runs the CLI in-process; its exit code and what it printed. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (text) => void (out += text), err: (text) => void (err += text) };
  const code = await run(argv, io);
  return { code, out, err };
}
