/**
 * `nsbox <command> ...`: the command-line entry point. Each command's code is imported only
 * when that command runs: start-up is most of a CLI run, and the others pull in modules
 * (zlib, crypto, tar, ...) that `nsbox unshare` never needs.
 */
import { VERSION } from '../version.js';

const USAGE = `Usage:
 nsbox <command> [options] [<program> [<argument>...]]

Commands:
 unshare     run a program in new namespaces (util-linux unshare(1) compatible)
 nsenter     run a program in existing namespaces (util-linux nsenter(1) compatible)
 lsns        list namespaces (util-linux lsns(8) compatible)
 profile     edit named, persistent isolation settings (profiles)
 run         run a program with a profile's settings
 rootfs      prepare root filesystems (import a tarball)

Run 'nsbox <command> --help' for the options of a command.
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'unshare') {
    const [{ parseUnshare }, { runCliSpec }] = await Promise.all([import('./unshare.js'), import('./run.js')]);
    const progName = 'nsbox unshare';
    const parsed = parseUnshare(rest, {
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      euid: process.geteuid?.() ?? 0,
      egid: process.getegid?.() ?? 0,
      env: process.env,
      progName,
      version: VERSION,
    });
    if (parsed.action === 'exit') {
      if (parsed.stdout) process.stdout.write(parsed.stdout);
      if (parsed.stderr) process.stderr.write(parsed.stderr);
      process.exitCode = parsed.status;
      return;
    }
    await runCliSpec(progName, parsed.spec, parsed.env);
    return;
  }
  // The build makes a second, smaller bundle for `nsbox unshare` alone (scripts/bundle-cli.mjs):
  // there the condition is the constant false, so the other commands are left out of the file.
  if (process.env.NSBOX_CLI_UNSHARE_ONLY !== '1') {
    if (command === 'nsenter') return (await import('./nsenter.js')).runNsenter(rest);
    if (command === 'lsns') return (await import('./lsns.js')).runLsns(rest);
    if (command === 'profile') return (await import('./profile.js')).runProfileCommand(rest);
    if (command === 'run') return (await import('./run-profile.js')).runProfileRun(rest);
    if (command === 'rootfs') return (await import('./rootfs.js')).runRootfsCommand(rest);
  }
  if (command === '-h' || command === '--help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command === '-V' || command === '--version') {
    process.stdout.write(`nsbox ${VERSION}\n`);
    return;
  }
  process.stderr.write(`nsbox: ${command === undefined ? 'missing command' : `unknown command '${command}'`}\nTry 'nsbox --help' for more information.\n`);
  process.exitCode = 1;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`nsbox: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
