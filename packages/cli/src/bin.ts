#!/usr/bin/env node
import { run } from './program.js';

const code = await run(process.argv.slice(2));
// `serve` keeps running (the server holds the event loop); other commands exit with their code.
if (code !== 0 || !process.argv.slice(2).includes('serve')) process.exitCode = code;
