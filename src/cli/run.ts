/**
 * Running a spec for the CLI: the Node process stands where util-linux's `unshare` process
 * would be, so it must be transparent: stdio inherited, every catchable signal passed on to the
 * helper (which then acts exactly as `unshare` would: blocks, forwards, or dies), and the
 * helper's exit status mirrored, re-raising a fatal signal on ourselves.
 */
import { constants } from 'node:os';
import { HelperExitError, type NamespaceError } from '../errors.js';
import { droppedNamespaceMessage, type DroppedNamespace } from '../report.js';
import { encodeSpec, type SandboxSpec } from '../spec.js';
import { spawnHelper, type HelperEncoder, type HelperSpec } from '../spawn.js';

/**
 * Signals passed on to the helper. Job-control signals are left alone: the terminal delivers
 * them to the whole foreground group (us, the helper and the program) by itself.
 */
const PASSED_ON: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGPWR'];

/** Specs the CLI runs: they carry the parent-death signal the runner arms. */
interface CliSpec extends HelperSpec {
  parentDeathSignal: number;
  parentPid: number;
}

export async function runCliSpec(progName: string, spec: SandboxSpec, env: Record<string, string>): Promise<never> {
  return runCliHelper(progName, spec, encodeSpec, env);
}

/** Run any helper spec as the CLI (`nsbox unshare`, `nsbox nsenter`), then exit like it. */
/**
 * Something started once the program runs (given its pid as seen from here), stopped after
 * the helper has exited: `--net=user`'s pasta/slirp4netns.
 */
export type CliAttachment = (programPid: number) => Promise<{ stop(): Promise<void> }>;

export async function runCliHelper<S extends CliSpec>(
  progName: string,
  spec: S,
  encode: HelperEncoder<S>,
  env: Record<string, string>,
  attach?: CliAttachment,
): Promise<never> {
  // If we die, the helper dies (SIGKILL), as util-linux's process would have died with us.
  const fullSpec: S = { ...spec, parentDeathSignal: constants.signals.SIGKILL, parentPid: process.pid };
  // The handlers go in before the helper starts: once it runs, a signal must reach it, not
  // kill us by Node's default action and leave it behind. (Handlers run from the event loop,
  // so `running` is always set by then.)
  let running: ReturnType<typeof spawnHelper<S>> | undefined;
  const passOn = (sig: NodeJS.Signals): void => {
    running?.kill(sig);
  };
  for (const sig of PASSED_ON) process.on(sig, passOn);
  running = spawnHelper(fullSpec, encode, { stdio: 'inherit', env });
  // A "try" namespace the kernel refused: said once, before the program runs.
  running.on('namespace-dropped', (d: DroppedNamespace) => process.stderr.write(`${progName}: ${droppedNamespaceMessage(d)}\n`));

  let failure: NamespaceError | undefined;
  let spawnError: Error | undefined;
  running.on('error', (e: Error) => {
    if (e.name === 'NamespaceError') failure = e as NamespaceError;
    else spawnError = e;
  });
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    running!.on('close', (c, s) => resolve([c, s]));
  });
  let attached: Promise<{ stop(): Promise<void> } | undefined> = Promise.resolve(undefined);
  let attachError: unknown;
  if (attach) {
    const helper = running;
    attached = helper.ready.then(
      (info) =>
        attach(info.pid).catch((e: unknown) => {
          // The program must not run without what it was promised (e.g. its network).
          attachError = e;
          helper.kill('SIGKILL');
          return undefined;
        }),
      () => undefined,
    );
  }
  const [code, signal] = await closed;
  // The helper gone during setup without a word (killed): say so, once, then exit like it.
  const died = await running.ready.then(
    () => undefined,
    (e: unknown) => (e instanceof HelperExitError ? e : undefined),
  );
  await (await attached)?.stop();
  for (const sig of PASSED_ON) process.off(sig, passOn);

  if (spawnError) {
    process.stderr.write(`${progName}: ${spawnError.message}\n`);
    process.exit(1);
  }
  if (failure && !failure.silent) process.stderr.write(`${progName}: ${failure.message}\n`);
  if (died && !failure) process.stderr.write(`${progName}: ${died.message.replace(/^nsbox: /, '')}\n`);
  if (attachError !== undefined) {
    process.stderr.write(`${progName}: ${attachError instanceof Error ? attachError.message : String(attachError)}\n`);
    process.exit(1);
  }
  if (signal) {
    // Die the way the helper died, so our caller sees 128+n. Node has no handler for it now.
    process.kill(process.pid, signal);
    // A signal whose default action is not fatal: fall back to the shell convention.
    process.exit(128 + (constants.signals[signal] ?? 0));
  }
  process.exit(code ?? 1);
}
