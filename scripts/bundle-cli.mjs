#!/usr/bin/env node
// Bundles the CLI (dist/cli/main.js and everything it imports) into one CommonJS file,
// dist/nsbox.cjs. Why: start-up is most of a CLI run. Node 20 spends ~0.5 ms per ES module it
// loads (the CLI has ~20) and ~3 ms more to start its ESM loader at all; one CommonJS file
// avoids both. The library (dist/index.js) stays plain ESM.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/nsbox.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // helper.ts finds the helper relative to its own URL; in the bundle that is this file's.
  define: { 'import.meta.url': '__nsboxModuleUrl' },
  banner: { js: "const __nsboxModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
chmodSync('dist/nsbox.cjs', 0o755);
