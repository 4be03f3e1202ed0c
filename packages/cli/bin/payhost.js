#!/usr/bin/env node
// The `payhost` command. A plain file outside dist/ so that npm links it when it installs, which in a
// checkout (`npm ci`, then `npm run build`) happens before dist/ is compiled.
try {
  await import('../dist/bin.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/bin.js')) {
    console.error('error not_built: payhost is not compiled yet: run `npm run build` in the repository first');
    process.exit(1);
  }
  throw error;
}
