// --net=user: the sandbox's own network namespace connected through pasta or slirp4netns.
// The machine has no outside network, so reachability is tested against a TCP listener on the
// host's loopback (hostLoopback), plus the interface's address and default route inside.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import { spawnWithUserNet, startUserNet, findInPath, defaultRoute, MISSING_TOOL_MESSAGE, UserNetError, type UserNetTool } from '../netuser.js';
import { spawn } from '../spawn.js';
import { alive, requireCapability, requireRoot, withScope, waitFor } from './harness.js';

function hostListener(): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = net.createServer((s) => s.end('hello from the host\n'));
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({ port, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

function collect(child: { stdout: NodeJS.ReadableStream | null; once(ev: 'close', f: (code: number | null) => void): unknown }): Promise<{ code: number | null; stdout: string }> {
  let out = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => (out += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout: out })));
}

// Inside: wait for the default route (the tool starts after the program), then connect.
const CLIENT = `
const fs = require('node:fs');
const net = require('node:net');
let [host, port] = process.argv.slice(1);
const deadline = Date.now() + 10000;
(function wait() {
  if (host.startsWith('@')) {
    // '@FILE': the address and port are written to FILE once known.
    try { [host, port] = fs.readFileSync(host.slice(1), 'utf8').split(' '); }
    catch { if (Date.now() > deadline) process.exit(4); return setTimeout(wait, 10); }
  }
  const routes = fs.readFileSync('/proc/net/route', 'utf8');
  if (!/\\n\\S+\\s+00000000\\s/.test(routes)) {
    if (Date.now() > deadline) { console.log('no route'); process.exit(2); }
    return setTimeout(wait, 10);
  }
  const addrs = fs.readFileSync('/proc/net/fib_trie', 'utf8');
  console.log('ROUTE ' + routes.split('\\n').filter((l) => /^\\S+\\s+00000000\\s/.test(l)).map((l) => l.split(/\\s+/)[0]).join(','));
  console.log('LOCAL ' + (addrs.match(/\\|-- (\\d+\\.\\d+\\.\\d+\\.\\d+)\\n\\s+\\/32 host LOCAL/g) || []).map((m) => m.split(/\\s+/)[1]).join(','));
  const s = net.connect(Number(port), host);
  s.setEncoding('utf8');
  s.on('data', (d) => { process.stdout.write('GOT ' + d); s.destroy(); });
  s.on('error', (e) => { console.log('ERR ' + e.code); process.exit(3); });
})();
`;

const TOOLS: UserNetTool[] = ['pasta', 'slirp4netns'];

describe('--net=user (library)', () => {
  for (const tool of TOOLS) {
    it(`${tool}: reaches a listener on the host's loopback; the tool is gone after the sandbox exits`, async (t) => {
      if (!requireRoot(t)) return;
      if (!requireCapability(t, findInPath(tool) !== undefined, `needs ${tool} (apt-get install ${tool === 'pasta' ? 'passt' : tool})`)) return;
      await withScope(async (scope) => {
        const listener = await hostListener();
        try {
          // pasta copies the host's addresses and gateway; the gateway leads to the host's loopback.
          const host = tool === 'pasta' ? (defaultRoute(process.pid)?.gateway ?? 'no-default-route') : '10.0.2.2';
          const child = spawnWithUserNet(process.execPath, ['-e', CLIENT, host, String(listener.port)], {
            userNet: { tool, hostLoopback: true },
            env: { ...process.env, ...scope.env },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          const done = collect(child);
          const un = await child.userNet;
          assert.equal(un.tool, tool);
          assert.ok(un.hostLoopbackAddress);
          assert.equal(un.hostLoopbackAddress, host);
          const r = await done;
          assert.equal(r.code, 0, r.stdout);
          assert.match(r.stdout, new RegExp(`ROUTE ${un.interface}`));
          if (tool === 'slirp4netns') assert.match(r.stdout, /LOCAL .*10\.0\.2\.100/);
          else assert.match(r.stdout, /LOCAL \d+\.\d+\.\d+\.\d+/);
          assert.match(r.stdout, /GOT hello from the host/);
          await un.exited;
          assert.equal(alive(un.pid), false, `${tool} (pid ${un.pid}) is left after the sandbox exited`);
        } finally {
          await listener.close();
        }
      });
    });

    it(`${tool}: startUserNet on a running sandbox, connect to the host's loopback, stop()`, async (t) => {
      if (!requireRoot(t)) return;
      if (!requireCapability(t, findInPath(tool) !== undefined, `needs ${tool}`)) return;
      await withScope(async (scope) => {
        const listener = await hostListener();
        const dir = scope.tmpdir();
        try {
          // The sandbox waits for a file naming the address to connect to.
          const child = spawn(process.execPath, ['-e', CLIENT, `@${dir}/target`, '0'], { net: true, env: { ...process.env, ...scope.env }, stdio: ['ignore', 'pipe', 'inherit'] });
          const done = collect(child);
          const info = await child.ready;
          const un = await startUserNet(info.pid, { tool, hostLoopback: true });
          assert.ok(un.hostLoopbackAddress);
          fs.writeFileSync(`${dir}/target.tmp`, `${un.hostLoopbackAddress} ${listener.port}`);
          fs.renameSync(`${dir}/target.tmp`, `${dir}/target`);
          const r = await done;
          assert.equal(r.code, 0, r.stdout);
          assert.match(r.stdout, new RegExp(`ROUTE ${un.interface}`));
          assert.match(r.stdout, /LOCAL \d+\.\d+\.\d+\.\d+/);
          assert.match(r.stdout, /GOT hello from the host/);
          // The sandbox exited: the tool stops on its own (watch), stop() is then a no-op.
          await waitFor(() => !alive(un.pid), 5000, `${tool} to exit with the sandbox`);
          await un.stop();
        } finally {
          await listener.close();
        }
      });
    });

    it(`${tool}: without hostLoopback the host's loopback is unreachable`, async (t) => {
      if (!requireRoot(t)) return;
      if (!requireCapability(t, findInPath(tool) !== undefined, `needs ${tool}`)) return;
      await withScope(async (scope) => {
        const listener = await hostListener();
        try {
          const child = spawn('sleep', ['30'], { net: true, env: { ...process.env, ...scope.env }, stdio: 'ignore' });
          const info = await child.ready;
          const un = await startUserNet(info.pid, { tool });
          assert.equal(un.hostLoopbackAddress, undefined);
          // Probe from inside the same namespace with nsenter(1).
          const r = spawnSync('nsenter', ['-t', String(info.pid), '-n', process.execPath, '-e', `const s=require('net').connect(${listener.port}, '${tool === 'pasta' ? un.gateway : '10.0.2.2'}');
            s.on('data',()=>{console.log('REACHED');process.exit(0)}); s.on('error',(e)=>{console.log(e.code);process.exit(0)}); setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},2000)`], { encoding: 'utf8' });
          assert.match(r.stdout.trim(), /^(ECONNREFUSED|ENETUNREACH|ECONNRESET|TIMEOUT)$/);
          child.kill('SIGKILL');
          await un.stop();
          assert.equal(alive(un.pid), false);
        } finally {
          await listener.close();
        }
      });
    });
  }

  it('names the missing package when neither tool is on PATH', async (t) => {
    await withScope(async () => {
      const empty = '/nonexistent-nsbox-path';
      assert.throws(() => spawnWithUserNet('true', [], { userNet: { path: empty } }), (e: unknown) => e instanceof UserNetError && e.message === MISSING_TOOL_MESSAGE);
      await assert.rejects(startUserNet(process.pid, { path: empty }), (e: unknown) => e instanceof UserNetError && e.message === MISSING_TOOL_MESSAGE);
      void t;
    });
  });
});
