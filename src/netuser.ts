/**
 * User-mode networking (`--net=user`): connects a sandbox's own, isolated network namespace to
 * the outside through `pasta` (Debian package passt) or `slirp4netns`, the tools rootless
 * podman and friends use. They are the one place an external program is the right part: they
 * are user-space TCP/IP stacks, and nsbox does not write one.
 *
 * The tool gets the namespaces as file descriptors it opens through /proc/self/fd/N (nsbox opens
 * /proc/PID/ns/net and /proc/PID/ns/user itself): pasta run as root drops its capabilities
 * before joining, and could then no longer open another root process's /proc/PID/ns files.
 *
 * Isolation by default: nothing is forwarded into the sandbox, and the host's loopback
 * (127.0.0.1 services) is not reachable from inside unless `hostLoopback` is set.
 */
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { readStat } from './proc.js';
import { spawn, type SandboxedChildProcess, type SandboxInfo, type SpawnOptions } from './spawn.js';

export type UserNetTool = 'pasta' | 'slirp4netns';

/** The error when neither tool is installed (or the one asked for is not). */
export const MISSING_TOOL_MESSAGE = '--net=user needs pasta (Debian package passt) or slirp4netns';

export class UserNetError extends Error {
  override name = 'UserNetError';
}

export interface UserNetOptions {
  /** Use this tool only (default: pasta if installed, else slirp4netns). */
  tool?: UserNetTool;
  /**
   * Let the sandbox reach services bound to the host's loopback (default false). Inside, they
   * are at `UserNet.hostLoopbackAddress`: the gateway address with pasta, 10.0.2.2 with
   * slirp4netns.
   */
  hostLoopback?: boolean;
  /** Where the tools are looked up (default: process.env.PATH). */
  path?: string;
  /** How long to wait for the interface to be configured (default 10 s). */
  timeoutMs?: number;
}

export interface UserNet {
  tool: UserNetTool;
  /** The tool's pid (a child of this process). */
  pid: number;
  /** The interface inside the sandbox (`tap0` for slirp4netns, the host's name with pasta). */
  interface: string;
  /** The default gateway inside. */
  gateway: string;
  /** Where the host's 127.0.0.1 is reachable from inside, when `hostLoopback` was set. */
  hostLoopbackAddress: string | undefined;
  /** Resolves when the tool has exited (after stop(), or when it died). */
  readonly exited: Promise<void>;
  /** Stop the tool (SIGTERM, then SIGKILL after 2 s) and wait for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** The first executable `name` on `path`, or undefined. */
export function findInPath(name: string, path: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Which tool `startUserNet` would use, and where it is; throws UserNetError if none is installed. */
export function findUserNetTool(options: Pick<UserNetOptions, 'tool' | 'path'> = {}): { tool: UserNetTool; file: string } {
  const candidates: UserNetTool[] = options.tool ? [options.tool] : ['pasta', 'slirp4netns'];
  for (const tool of candidates) {
    const file = findInPath(tool, options.path);
    if (file) return { tool, file };
  }
  throw new UserNetError(options.tool ? `${MISSING_TOOL_MESSAGE} (asked for ${options.tool}, which is not installed)` : MISSING_TOOL_MESSAGE);
}

/** The default route of the network namespace of `pid`, from /proc/PID/net/route. */
export function defaultRoute(pid: number): { interface: string; gateway: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/net/route`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n').slice(1)) {
    const [iface, dest, gw, flags] = line.trim().split(/\s+/);
    if (!iface || dest !== '00000000' || !gw || !flags) continue;
    // Little-endian hex IPv4.
    const n = Number.parseInt(gw, 16);
    const gateway = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
    return { interface: iface, gateway };
  }
  return undefined;
}

function nsInode(path: string): number | undefined {
  try {
    return fs.statSync(path).ino;
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}


/**
 * Connect the network namespace of `sandboxPid` (a new, isolated one) to the outside through
 * pasta or slirp4netns. Resolves once the interface inside has an address and a default route.
 * The tool is stopped by `stop()`, and also when the sandbox process exits (polled every 200 ms)
 * or when this process exits normally.
 */
export async function startUserNet(sandboxPid: number, options: UserNetOptions = {}): Promise<UserNet> {
  const { tool, file } = findUserNetTool(options);
  const hostLoopback = options.hostLoopback ?? false;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = readStat(sandboxPid)?.starttime;
  if (started === undefined) throw new UserNetError(`--net=user: no process ${sandboxPid}`);
  if (nsInode(`/proc/${sandboxPid}/ns/net`) === nsInode('/proc/self/ns/net')) {
    throw new UserNetError(`--net=user: process ${sandboxPid} shares this network namespace (it needs its own: unshare net)`);
  }
  const ownUserns = nsInode(`/proc/${sandboxPid}/ns/user`) === nsInode('/proc/self/ns/user');
  const netFd = fs.openSync(`/proc/${sandboxPid}/ns/net`, 'r');
  let userFd: number | undefined;
  try {
    userFd = ownUserns ? undefined : fs.openSync(`/proc/${sandboxPid}/ns/user`, 'r');
  } catch (e) {
    fs.closeSync(netFd);
    throw e;
  }
  // fds in the tool: 3 = netns, 4 = userns (or /dev/null), 5 = ready pipe, 6 = exit pipe (slirp4netns).
  let args: string[];
  if (tool === 'pasta') {
    args = ['--config-net', '--quiet', '--foreground', '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none'];
    if (!hostLoopback) args.push('--no-map-gw');
    if (process.geteuid?.() === 0) args.push('--runas', '0:0');
    args.push('--netns', '/proc/self/fd/3');
    args.push(...(userFd === undefined ? ['--netns-only'] : ['--userns', '/proc/self/fd/4']));
  } else {
    args = ['--configure', '--mtu=65520', '--netns-type=path', '--ready-fd=5', '--exit-fd=6'];
    if (!hostLoopback) args.push('--disable-host-loopback');
    if (userFd !== undefined) args.push('--userns-path=/proc/self/fd/4');
    args.push('/proc/self/fd/3', 'tap0');
  }
  let child: cp.ChildProcess;
  try {
    // Through the helper, with no namespace of its own: it arms PR_SET_PDEATHSIG (SIGKILL) and
    // execs the tool, so the tool dies with this process even when it is SIGKILLed. pasta would
    // not notice otherwise: it holds the namespace open (by fd), and slirp4netns's exit pipe
    // covers it alone.
    child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe', netFd, userFd ?? 'ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
      dieWithParent: true,
    });
  } finally {
    fs.closeSync(netFd);
    if (userFd !== undefined) fs.closeSync(userFd);
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const extra = child.stdio as unknown as (Readable | Writable | null | undefined)[];
  const readyPipe = (extra[5] ?? null) as Readable | null;
  const exitPipe = (extra[6] ?? null) as Writable | null;
  let readyByte = false;
  readyPipe?.on('data', () => {
    readyByte = true;
  });
  readyPipe?.on('error', () => {});
  exitPipe?.on('error', () => {});
  let exitedFlag = false;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (e) => {
      spawnError = e;
      exitedFlag = true;
      resolve();
    });
    child.once('close', () => {
      exitedFlag = true;
      resolve();
    });
  });

  const kill = (): void => {
    if (!exitedFlag) child.kill('SIGTERM');
  };
  process.once('exit', kill);
  let stopping: Promise<void> | undefined;
  let watch: NodeJS.Timeout | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (watch) clearInterval(watch);
      exitPipe?.end();
      kill();
      const timer = setTimeout(() => {
        if (!exitedFlag) child.kill('SIGKILL');
      }, 2000);
      await exited;
      clearTimeout(timer);
      process.removeListener('exit', kill);
      readyPipe?.destroy();
    })();
    return stopping;
  };
  void exited.then(() => {
    if (watch) clearInterval(watch);
    process.removeListener('exit', kill);
  });

  // Wait until configured: slirp4netns writes to its ready fd; pasta configures the interface
  // before its loop starts. Either way, the default route in the namespace is the proof.
  const deadline = Date.now() + timeoutMs;
  let route: { interface: string; gateway: string } | undefined;
  for (;;) {
    if (tool === 'pasta' || readyByte) route = defaultRoute(sandboxPid);
    if (route) break;
    const gone = exitedFlag || readStat(sandboxPid)?.starttime !== started;
    if (gone || Date.now() > deadline) {
      await stop();
      const why = spawnError
        ? spawnError.message
        : exitedFlag && !stopping
          ? `${tool} exited: ${stderr.trim() || 'no message'}`
          : gone
            ? `the sandbox process ${sandboxPid} exited`
            : `timed out after ${timeoutMs} ms waiting for ${tool} to configure the network${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
      throw new UserNetError(`--net=user: ${why}`);
    }
    await delay(10);
  }

  // Stop with the sandbox: the tool holds the namespace open, so it would not notice.
  watch = setInterval(() => {
    if (readStat(sandboxPid)?.starttime !== started) void stop();
  }, 200);
  watch.unref();
  child.unref();
  for (const s of [child.stderr, readyPipe]) (s as unknown as { unref?: () => void } | null)?.unref?.();

  return {
    tool,
    pid: child.pid ?? -1,
    interface: route.interface,
    gateway: route.gateway,
    hostLoopbackAddress: hostLoopback ? (tool === 'pasta' ? route.gateway : '10.0.2.2') : undefined,
    exited,
    stop,
  };
}

export interface UserNetChildProcess extends SandboxedChildProcess {
  /** Resolves once the network is up; rejects (and the child is killed) if it cannot be. */
  readonly userNet: Promise<UserNet>;
}

/**
 * `spawn()` with a new network namespace connected by pasta/slirp4netns (`--net=user`). The tool
 * is started once `ready` resolves and stopped when the child exits. The program may run before
 * the network is up (it is started first: the tool needs its namespace): wait for `userNet`, or
 * have the program wait for its default route, if it must not.
 */
export function spawnWithUserNet(file: string, args: readonly string[] = [], options: SpawnOptions & { userNet?: UserNetOptions } = {}): UserNetChildProcess {
  const { userNet: netOptions, ...spawnOptions } = options;
  // Fail before starting anything when no tool is installed.
  findUserNetTool(netOptions);
  const child = spawn(file, args, { ...spawnOptions, net: true }) as SandboxedChildProcess & { userNet?: Promise<UserNet> };
  let net: UserNet | undefined;
  let childExited = false;
  child.once('exit', () => {
    childExited = true;
    void net?.stop();
  });
  const userNet = child.ready.then(
    async (info: SandboxInfo) => {
      try {
        net = await startUserNet(info.pid, netOptions);
      } catch (e) {
        child.kill('SIGKILL');
        throw e;
      }
      if (childExited) await net.stop();
      return net;
    },
    (e: unknown) => {
      throw e;
    },
  );
  userNet.catch(() => {});
  Object.defineProperty(child, 'userNet', { value: userNet, enumerable: true });
  return child as UserNetChildProcess;
}
