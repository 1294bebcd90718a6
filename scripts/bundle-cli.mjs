#!/usr/bin/env node
// Makes the CLI start fast. Start-up is most of a CLI run (`nsbox unshare -r true` is ~50 ms of
// Node start-up and ~2 ms of namespaces), so:
// 1. dist/cli/main.js and everything it imports are bundled into one CommonJS file,
//    dist/nsbox-main.cjs: Node 20 spends ~0.5 ms per ES module it loads (the CLI has ~20) and
//    ~3 ms more to start its ESM loader at all.
// 2. dist/nsbox.cjs (the `bin`) loads that file through vm.Script with a V8 code cache,
//    dist/nsbox-main.cjs.cache, made here by running the CLI once: compiling and lazily
//    compiling its functions is another ~1.5 ms otherwise. A cache V8 rejects (another Node
//    version) only costs that time back; nothing is written at run time.
// The library (dist/index.js) stays plain ESM.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';

const MAIN = 'dist/nsbox-main.cjs';
const CACHE = `${MAIN}.cache`;

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: MAIN,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // helper.ts finds the helper relative to its own URL; in the bundle that is this file's.
  define: { 'import.meta.url': '__nsboxModuleUrl' },
  banner: { js: "const __nsboxModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

writeFileSync(
  'dist/nsbox.cjs',
  `#!/usr/bin/env node
'use strict';
// The nsbox command. Loads nsbox-main.cjs with the V8 code cache made at build time
// (scripts/bundle-cli.mjs says why).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');
const file = join(__dirname, 'nsbox-main.cjs');
let cachedData;
try {
  cachedData = readFileSync(file + '.cache');
} catch {}
const script = new Script('(function (exports, require, module, __filename, __dirname) {' + readFileSync(file, 'utf8') + '\\n})', { filename: file, cachedData });
if (process.env.NSBOX_WRITE_CODE_CACHE === '1') process.once('exit', () => writeFileSync(file + '.cache', script.createCachedData()));
script.runInThisContext()(module.exports, require, module, file, __dirname);
`,
);
chmodSync('dist/nsbox.cjs', 0o755);

// The cache holds what one typical run compiled: parsing, the spec, spawning the helper. A run
// without namespaces works wherever the helper does; without the helper, --version still
// covers loading.
rmSync(CACHE, { force: true });
const env = { ...process.env, NSBOX_WRITE_CODE_CACHE: '1' };
const run = spawnSync(process.execPath, ['dist/nsbox.cjs', 'unshare', 'true'], { env, stdio: 'ignore' });
if (run.status !== 0) spawnSync(process.execPath, ['dist/nsbox.cjs', '--version'], { env, stdio: 'ignore' });
