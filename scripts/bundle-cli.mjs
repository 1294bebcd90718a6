#!/usr/bin/env node
// Makes the CLI start fast. Start-up is most of a CLI run (`nsbox unshare -r true` is ~50 ms of
// Node start-up and ~2 ms of namespaces), so:
// 1. dist/cli/main.js and everything it imports are bundled into CommonJS files: Node 20 spends
//    ~0.5 ms per ES module it loads (the CLI has dozens) and ~3 ms more to start its ESM loader.
//    dist/nsbox-main.cjs holds every command; dist/nsbox-unshare.cjs only `nsbox unshare` (the
//    one whose start-up is measured against util-linux), without the other commands' code and
//    the modules they load (zlib, crypto, tar, ...).
// 2. dist/nsbox.cjs (the `bin`) loads one of them through vm.Script with a V8 code cache
//    (`<bundle>.cache`), made here by running the CLI once: compiling and lazily compiling its
//    functions is another ~1.5 ms otherwise. A cache V8 rejects (another Node version) only
//    costs that time back; nothing is written at run time.
// The library (dist/index.js) stays plain ESM.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';

const BUNDLES = [
  // file, define for UNSHARE_ONLY (src/cli/main.ts), the command run to fill the cache
  { file: 'dist/nsbox-main.cjs', unshareOnly: '0', warm: [['lsns', '-n', '-o', 'NS', '-t', 'uts'], ['--version']] },
  { file: 'dist/nsbox-unshare.cjs', unshareOnly: '1', warm: [['unshare', 'true'], ['unshare', '--version']] },
];

for (const b of BUNDLES) {
  await build({
    entryPoints: ['dist/cli/main.js'],
    outfile: b.file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: {
      // helper.ts finds the helper relative to its own URL; in the bundle that is this file's.
      'import.meta.url': '__nsboxModuleUrl',
      'process.env.NSBOX_CLI_UNSHARE_ONLY': JSON.stringify(b.unshareOnly),
    },
    banner: { js: "const __nsboxModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  });
}

writeFileSync(
  'dist/nsbox.cjs',
  `#!/usr/bin/env node
'use strict';
// The nsbox command. Loads a bundle with the V8 code cache made at build time
// (scripts/bundle-cli.mjs says why): the small one for \`nsbox unshare\`, else the full one.
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');
const file = join(__dirname, process.argv[2] === 'unshare' ? 'nsbox-unshare.cjs' : 'nsbox-main.cjs');
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

// Each cache holds what a typical run compiled. Runs without namespaces work wherever the helper
// does; if one fails, the next (--version) still covers loading.
for (const b of BUNDLES) {
  rmSync(`${b.file}.cache`, { force: true });
  const env = { ...process.env, NSBOX_WRITE_CODE_CACHE: '1' };
  for (const args of b.warm) {
    if (spawnSync(process.execPath, ['dist/nsbox.cjs', ...args], { env, stdio: 'ignore' }).status === 0) break;
  }
}
