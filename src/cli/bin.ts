#!/usr/bin/env node
/** \summary: the `wscap` executable: runs main() and sets the exit code. */
import { main } from './main.js';
import { EXIT_INTERNAL } from './exit-codes.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`wscap: error: internal error: ${String(err)}\n`);
    process.exitCode = EXIT_INTERNAL;
  },
);
