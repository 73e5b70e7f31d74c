// skiffd and bin/skiff-client for real: each test has its own socket
// directory and "host" namespace; calls go through nsenter --net so that they
// share the test's mount namespace (one daemon per host, as for an engine).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeFd, listenUnix } from '../../../src/daemon/libc.js';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createNetns, needRoot, REPO, run, SKIFF_CLIENT, uniq, type Netns, type RunResult } from '../../helpers/sandbox.js';
import { options, type NetSpec } from '../../helpers/options.js';

const DIST = join(REPO, process.env.SKIFF_DIST_DIR ?? 'dist');
const noClient = existsSync(SKIFF_CLIENT) ? false : `${SKIFF_CLIENT} is not built (needs cc)`;
const BUILD = existsSync(join(DIST, 'build-id')) ? readFileSync(join(DIST, 'build-id'), 'utf8').trim() : '';

interface Daemonish {
  dir: string;
  host: Netns;
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  call(args: string[], input?: string, extra?: NodeJS.ProcessEnv): RunResult;
  callAsync(args: string[], input?: string): Promise<RunResult>;
  socket(): string;
  status(): Record<string, unknown>;
  destroy(): void;
}

function world(): Daemonish {
  mkdirSync('/run/skiff-test', { recursive: true });
  const dir = mkdtempSync('/run/skiff-test/daemon-');
  const host = createNetns('skd');
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    SKIFF_DAEMON: '1',
    SKIFF_DAEMON_DIR: dir,
    SKIFF_DAEMON_IDLE_MS: '20000',
    ...extra,
  });
  const argv = (args: string[]): string[] => [`--net=${host.path}`, '--', SKIFF_CLIENT, ...args];
  const w: Daemonish = {
    dir,
    host,
    env,
    call: (args, input, extra) => run('nsenter', argv(args), { input, env: env(extra) }),
    callAsync: (args, input) =>
      new Promise((resolve, reject) => {
        const c = spawn('nsenter', argv(args), { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        c.on('error', reject);
        c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
        c.stdin.end(input ?? '');
      }),
    socket: () => {
      const ino = (p: string): number => statSync(p).ino;
      return join(dir, `skiffd-${ino('/proc/self/ns/user')}-${ino('/proc/self/ns/mnt')}-${ino(host.path)}.sock`);
    },
    status: () => {
      const r = w.call(['daemon', 'status']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    },
    destroy: () => {
      w.call(['daemon', 'stop']);
      // a test that failed before its teardown leaves the DNS server it started: end it (by its pid file)
      try {
        const pid = Number(readFileSync(join(dir, 'state', 'aardvark-dns', 'aardvark.pid'), 'utf8').trim());
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(pid, 'SIGKILL');
      } catch {
        // no server, or gone already
      }
      host.destroy();
      // the stopped daemon removes its socket and lock file as it exits, which may still be under way
      rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    },
  };
  return w;
}

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The daemon's sockets and lock files in `dir` (its own lock and the clients' start-up lock). */
const sockFiles = (dir: string): string[] => readdirSync(dir).filter((f) => /\.sock(\.lock|\.spawn)?$/.test(f));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const net = (bridge: string): NetSpec => ({ name: bridge, bridge, subnets: [{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }] });
const FLAGS = ['--firewall-driver', 'none', '--aardvark-binary', '/nonexistent/dns'];

describe('skiffd', { skip: needRoot || noClient }, () => {
  test('serves calls from one warm process; output, stderr and exit codes are the CLI\'s', () => {
    const w = world();
    try {
      const v = w.call(['version']);
      assert.equal(v.code, 0);
      assert.equal(JSON.parse(v.stdout).version, JSON.parse(run(process.execPath, [join(DIST, 'skiff.cjs'), 'version']).stdout).version);
      const pid = w.status().pid;
      const bad = w.call(['frobnicate']);
      const direct = run(process.execPath, [join(DIST, 'skiff.cjs'), 'frobnicate']);
      assert.deepEqual(bad, direct, 'usage error: same stdout, stderr and exit code 2');
      const noConfig = w.call(['setup', '/run/netns/nope'], '{}');
      assert.equal(noConfig.code, 1);
      assert.match(noConfig.stdout, /^\{"error":/);
      const s = w.status();
      assert.equal(s.pid, pid, 'the same daemon served every call');
      assert.equal(s.build, BUILD);
      assert.ok((s.served as number) >= 3);
    } finally {
      w.destroy();
    }
  });

  test('100 concurrent setups on one bridge: each served, addresses all distinct; teardown removes every veth', async () => {
    const w = world();
    const ctrs: Netns[] = [];
    try {
      const n = net(uniq('skdbr'));
      const config = join(w.dir, 'state');
      for (let i = 0; i < 100; i++) ctrs.push(createNetns('skdc'));
      const input = (i: number): string => JSON.stringify(options(`c${i}`, [{ net: n, ips: [`10.88.1.${i + 2}`] }]));
      const results = await Promise.all(ctrs.map((c, i) => w.callAsync(['--config', config, ...FLAGS, 'setup', c.path], input(i))));
      results.forEach((r, i) => assert.equal(r.code, 0, `container ${i}: ${r.stdout} ${r.stderr}`));
      const ips = results.map((r) => JSON.parse(r.stdout)[n.name].interfaces.eth0.subnets[0].ipnet as string);
      assert.equal(new Set(ips).size, 100);
      const ports = w.host.ipJson<{ master?: string }[]>(['link', 'show']).filter((l) => l.master === n.bridge);
      assert.equal(ports.length, 100);
      const down = await Promise.all(ctrs.map((c, i) => w.callAsync(['--config', config, ...FLAGS, 'teardown', c.path], input(i))));
      down.forEach((r, i) => assert.equal(r.code, 0, `teardown ${i}: ${r.stdout} ${r.stderr}`));
      const left = w.host.ipJson<{ ifname: string; linkinfo?: { info_kind?: string } }[]>(['-d', 'link', 'show']).filter((l) => l.linkinfo?.info_kind === 'veth');
      assert.deepEqual(left, []);
      assert.ok((w.status().served as number) >= 200);
    } finally {
      for (const c of ctrs) c.destroy();
      w.destroy();
    }
  });

  test('a daemon killed mid-request: the client prints {"error"} and exits 1; the next call works', async () => {
    const w = world();
    try {
      w.call(['version']);
      const pid = w.status().pid as number;
      // setup reads stdin to EOF: with stdin held open, the request is in the daemon
      const c = spawn('nsenter', [`--net=${w.host.path}`, '--', SKIFF_CLIENT, '--config', join(w.dir, 'st'), 'setup', '/run/netns/x'], {
        env: w.env(),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      c.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<number>((r) => c.on('close', (code) => r(code ?? -1)));
      await new Promise((r) => setTimeout(r, 500));
      process.kill(pid, 'SIGKILL');
      const code = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-99), 10_000))]);
      c.stdin.destroy();
      assert.equal(code, 1, 'no hang');
      assert.match(out, /^\{"error":"skiffd exited during the request/);
      const n = net(uniq('skdbr'));
      const ctr = createNetns('skdc');
      try {
        const td = w.call(['--config', join(w.dir, 'st'), ...FLAGS, 'teardown', ctr.path], JSON.stringify(options('x', [{ net: n, ips: ['10.88.0.2'] }])));
        assert.equal(td.code, 0, td.stdout + td.stderr);
        assert.notEqual(w.status().pid, pid, 'a new daemon');
      } finally {
        ctr.destroy();
      }
    } finally {
      w.destroy();
    }
  });

  test('a daemon killed mid-setup, its links and rules made: the client prints {"error"}; the next teardown removes them all', async () => {
    const w = world();
    const ctr = createNetns('skdk');
    // a DNS server that never gets ready: the setup waits for it after making everything else (core/dns.ts DnsStep)
    const hang = join(w.dir, 'hang-dns');
    writeFileSync(hang, `#!/bin/sh\necho $$ > ${w.dir}/hang.pid\nexec sleep 60\n`);
    chmodSync(hang, 0o755);
    const state = join(w.dir, 'st');
    const flags = ['--config', state, '--firewall-driver', 'nftables', '--aardvark-binary', hang];
    const n: NetSpec = { ...net(uniq('skdk')), dns: true };
    const input = JSON.stringify(options('killed', [{ net: n, ips: ['10.88.0.2'] }]));
    try {
      w.call(['version']);
      const pid = w.status().pid as number;
      const setup = w.callAsync([...flags, 'setup', ctr.path], input);
      const made = (): boolean =>
        existsSync(join(w.dir, 'hang.pid')) && ctr.run('ip', ['link', 'show', 'eth0']).code === 0 && w.host.run('nft', ['list', 'table', 'inet', 'skiff']).code === 0;
      await waitFor('the setup to have made its links and rules and to wait for its DNS server', made);
      process.kill(pid, 'SIGKILL');
      const r = await setup;
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^\{"error":"skiffd exited during the request/);
      assert.ok(w.host.run('ip', ['link', 'show', n.bridge]).code === 0, 'the killed setup left its bridge');

      const td = w.call([...flags, 'teardown', ctr.path], input);
      assert.equal(td.code, 0, td.stdout + td.stderr);
      assert.notEqual(w.status().pid, pid, 'served by a new daemon');
      assert.deepEqual(JSON.parse(w.host.run('ip', ['-j', 'link', 'show']).stdout).map((l: { ifname: string }) => l.ifname), ['lo']);
      assert.equal(ctr.run('ip', ['link', 'show', 'eth0']).code, 1, 'the container end is gone');
      assert.equal(w.host.run('nft', ['list', 'table', 'inet', 'skiff']).code, 1, 'no table left');
      const dnsDir = join(state, 'aardvark-dns');
      assert.deepEqual(existsSync(dnsDir) ? readdirSync(dnsDir) : [], [], 'no DNS entries left');
    } finally {
      try {
        process.kill(Number(readFileSync(join(w.dir, 'hang.pid'), 'utf8')), 'SIGKILL');
      } catch {
        // never started, or gone
      }
      ctr.destroy();
      w.destroy();
    }
  });

  test('a daemon of another build steps aside; the client starts its own', async () => {
    const w = world();
    // the same code under another build id: a dist/ whose build-id differs
    mkdirSync(join(REPO, 'build'), { recursive: true });
    const other = mkdtempSync(join(REPO, 'build', 'other-dist-'));
    try {
      for (const f of ['skiffd.cjs', 'skiff.cjs', 'launcher.cjs']) copyFileSync(join(DIST, f), join(other, f));
      symlinkSync(join(DIST, 'lib'), join(other, 'lib'));
      writeFileSync(join(other, 'build-id'), 'another-build\n');
      const sock = w.socket();
      const d = spawn('nsenter', [`--net=${w.host.path}`, '--', process.execPath, join(other, 'skiffd.cjs'), '--socket', sock], { stdio: 'ignore', detached: true });
      await waitFor('the other daemon', () => existsSync(sock));
      const before = w.status();
      assert.equal(before.build, 'another-build');
      const v = w.call(['version']);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.equal(w.status().build, BUILD);
      await waitFor('the other daemon to exit', () => d.exitCode !== null);
    } finally {
      rmSync(other, { recursive: true, force: true });
      w.destroy();
    }
  });

  test('idle exit: the daemon leaves after SKIFF_DAEMON_IDLE_MS and removes its socket and lock file', async () => {
    const w = world();
    try {
      // long enough that a loaded host reads the status and the lock file before the daemon leaves (400 ms was not)
      assert.equal(w.call(['version'], '', { SKIFF_DAEMON_IDLE_MS: '2000' }).code, 0);
      const pid = w.status().pid as number;
      assert.ok(existsSync(`${w.socket()}.lock`));
      await waitFor('idle exit', () => !alive(pid));
      assert.deepEqual(sockFiles(w.dir), []);
    } finally {
      w.destroy();
    }
  });

  test('a daemon whose network namespace nobody else can reach any more (ip netns del) leaves at once, not after its idle timeout', async () => {
    const w = world();
    try {
      assert.equal(w.call(['version']).code, 0);
      const pid = w.status().pid as number;
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(alive(pid), 'still in use: the namespace is mounted at /run/netns');
      w.host.destroy();
      await waitFor('the orphaned daemon to leave', () => !alive(pid), 6000);
      assert.deepEqual(sockFiles(w.dir), []);
    } finally {
      w.destroy();
    }
  });

  test('`skiff daemon stop`: the daemon leaves no socket and no lock file', async () => {
    const w = world();
    try {
      assert.equal(w.call(['version']).code, 0);
      const pid = w.status().pid as number;
      const sock = basename(w.socket());
      assert.deepEqual(sockFiles(w.dir).sort(), [sock, `${sock}.lock`, `${sock}.spawn`].sort());
      const r = w.call(['daemon', 'stop']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await waitFor('the daemon to exit', () => !alive(pid));
      assert.deepEqual(sockFiles(w.dir), []);
    } finally {
      w.destroy();
    }
  });

  test('daemons racing for one socket, also while its owner exits and removes the lock file: exactly one serves', async () => {
    const w = world();
    const sock = w.socket();
    const start = () =>
      spawn('nsenter', [`--net=${w.host.path}`, '--', process.execPath, join(DIST, 'skiffd.cjs'), '--socket', sock], {
        stdio: 'ignore',
        env: w.env(),
      });
    const all: ReturnType<typeof start>[] = [];
    const oneServes = async (ds: ReturnType<typeof start>[]): Promise<number> => {
      // the losers give up after their 3 s lock wait
      await waitFor('all but one daemon to give up', () => ds.filter((d) => d.exitCode === null).length === 1);
      const winner = ds.find((d) => d.exitCode === null)!;
      assert.equal(w.status().pid, winner.pid);
      assert.deepEqual(sockFiles(w.dir).sort(), [basename(sock), `${basename(sock)}.lock`].sort());
      return winner.pid!;
    };
    try {
      const first = [start(), start()];
      all.push(...first);
      const owner = await oneServes(first);
      // the owner stops; newcomers arrive while it unlinks its files (some wait on the old lock file)
      const r = w.call(['daemon', 'stop']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const second = [start(), start(), start()];
      all.push(...second);
      await waitFor('the old owner to exit', () => !alive(owner));
      await oneServes(second);
      assert.equal(w.call(['version']).code, 0);
    } finally {
      w.destroy();
      for (const d of all) if (d.exitCode === null) d.kill('SIGTERM');
    }
  });

  test('a caller in another network namespace is served there, by its own daemon, never by this one', () => {
    const w = world();
    const other = createNetns('skdo');
    try {
      w.call(['version']);
      const pidA = w.status().pid;
      const n = net(uniq('skdbr'));
      const ctr = createNetns('skdc');
      try {
        const input = JSON.stringify(options('x', [{ net: n, ips: ['10.88.0.5'] }]));
        const env = w.env();
        const r = run('nsenter', [`--net=${other.path}`, '--', SKIFF_CLIENT, '--config', join(w.dir, 'o'), ...FLAGS, 'setup', ctr.path], { input, env });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(other.ipJson<{ ifname: string }[]>(['link', 'show']).some((l) => l.ifname === n.bridge), 'bridge in the caller\'s namespace');
        assert.ok(!w.host.ipJson<{ ifname: string }[]>(['link', 'show']).some((l) => l.ifname === n.bridge), 'nothing in the first daemon\'s');
        const st = JSON.parse(run('nsenter', [`--net=${other.path}`, '--', SKIFF_CLIENT, 'daemon', 'status'], { env }).stdout);
        assert.notEqual(st.pid, pidA);
        assert.equal(w.status().pid, pidA);
      } finally {
        ctr.destroy();
      }
      // a socket of the wrong namespace (here: a link to the first daemon's) is refused; the client runs in-process
      const ino = (p: string): number => statSync(p).ino;
      const misdirected = join(w.dir, `skiffd-${ino('/proc/self/ns/user')}-${ino('/proc/self/ns/mnt')}-${ino(other.path)}.sock`);
      run('nsenter', [`--net=${other.path}`, '--', SKIFF_CLIENT, 'daemon', 'stop'], { env: w.env() });
      rmSync(misdirected, { force: true });
      symlinkSync(w.socket(), misdirected);
      const served = w.status().served as number;
      const r2 = run('nsenter', [`--net=${other.path}`, '--', SKIFF_CLIENT, 'version'], { env: w.env() });
      assert.equal(r2.code, 0);
      assert.equal(w.status().served, served, 'the first daemon did not serve it');
      assert.match(readFileSync(w.socket().replace(/\.sock$/, '.log'), 'utf8'), /refused: caller is in other namespaces/);
    } finally {
      other.destroy();
      w.destroy();
    }
  });

  test('a caller of another uid is refused (SO_PEERCRED), even when it can reach the socket', () => {
    const w = world();
    try {
      w.call(['version']);
      chmodSync(w.dir, 0o755);
      chmodSync(w.socket(), 0o666);
      const probe = `const s=require('net').connect(process.argv[1]);s.on('connect',()=>{const b=Buffer.from('status\\0');const h=Buffer.alloc(8);h.write('SKD1');h.writeUInt32LE(b.length,4);s.write(Buffer.concat([h,b]))});s.on('data',d=>{process.stdout.write(d);s.destroy()})`;
      const r = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe, w.socket()]);
      assert.match(r.stdout, /^refuse uid 65534/);
    } finally {
      w.destroy();
    }
  });

  test('a stale socket file (no daemon behind it) is replaced', () => {
    const w = world();
    try {
      const sock = w.socket();
      // a listener that dies without removing its socket file
      run(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", sock]);
      assert.ok(existsSync(sock));
      const r = w.call(['version']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(w.status().socket, sock);
    } finally {
      w.destroy();
    }
  });

  test('socket activation: a daemon handed its socket through LISTEN_FDS serves the client', async () => {
    const w = world();
    const sock = w.socket();
    // what systemd does: bind the socket, hand it over as fd 3 with LISTEN_PID/LISTEN_FDS
    const fd = listenUnix(sock);
    const act = spawn('nsenter', [`--net=${w.host.path}`, '--', 'sh', '-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', 'sh', process.execPath, join(DIST, 'skiffd.cjs')], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
      env: { ...process.env, SKIFF_DAEMON_IDLE_MS: '0' },
    });
    closeFd(fd);
    try {
      const r = w.call(['version']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(w.status().socket, 'socket activation');
    } finally {
      act.kill('SIGTERM');
      w.destroy();
    }
  });

  test('long-running commands (dhcp-proxy, firewalld-reload) never go to the daemon, also after global flags', () => {
    const w = world();
    try {
      for (const args of [['dhcp-proxy', '--help'], ['--config', w.dir, 'dhcp-proxy', '--help'], ['--firewall-driver', 'nftables', 'firewalld-reload', '--help']]) {
        const r = w.call(args, '', { SKIFF_DAEMON: '1' });
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.equal(w.status().running, false, `${args.join(' ')} started no daemon`);
      }
    } finally {
      w.destroy();
    }
  });

  test('teardown deletes links off-thread, yet when the client returns nothing of them is left and their names are free', () => {
    const w = world();
    const ctrs = [createNetns('skdq'), createNetns('skdq')];
    try {
      const n = net(uniq('skdq'));
      const config = join(w.dir, 'state');
      const input = (i: number): string => JSON.stringify(options(`q${i}`, [{ net: n, ips: [`10.88.2.${i + 2}`] }]));
      const links = (ns: Netns): string[] => ns.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname).filter((x) => x !== 'lo').sort();
      for (let round = 0; round < 3; round++) {
        ctrs.forEach((c, i) => {
          const r = w.call(['--config', config, ...FLAGS, 'setup', c.path], input(i));
          assert.equal(r.code, 0, r.stdout + r.stderr);
        });
        assert.equal(links(w.host).length, 3, 'the bridge and two veths');
        // the last container's teardown also removes the bridge; each check runs right after the client exits
        ctrs.forEach((c, i) => {
          const r = w.call(['--config', config, ...FLAGS, 'teardown', c.path], input(i));
          assert.equal(r.code, 0, r.stdout + r.stderr);
          assert.deepEqual(links(c), [], `round ${round}: container ${i} has no eth0 left`);
          assert.deepEqual(links(w.host), i === 0 ? [n.bridge, links(w.host).find((x) => x !== n.bridge)!].sort() : [], `round ${round} after teardown ${i}`);
          assert.equal(w.host.ipJson<unknown[]>(['-d', 'link', 'show', 'type', 'veth']).length, 1 - i);
        });
      }
      assert.equal(w.status().links_deleted_off_thread, 9, 'the daemon deleted the links off-thread (2 veths and the bridge, 3 times)');
      // tearing down again is a no-op, as always
      const again = w.call(['--config', config, ...FLAGS, 'teardown', ctrs[0]!.path], input(0));
      assert.equal(again.code, 0, again.stdout + again.stderr);
    } finally {
      for (const c of ctrs) c.destroy();
      w.destroy();
    }
  });

  test('nftables through one kept libnftables context: a ruleset changed by another process in between is read anew', () => {
    const w = world();
    const ctrs = [createNetns('skdn'), createNetns('skdn')];
    try {
      const n = { ...net(uniq('skdn')), subnets: [{ subnet: '10.89.0.0/16', gateway: '10.89.0.1' }] };
      const config = join(w.dir, 'state');
      const flags = ['--config', config, '--firewall-driver', 'nftables', '--aardvark-binary', '/nonexistent/dns'];
      const input = (i: number): string =>
        JSON.stringify(options(`n${i}`, [{ net: n, ips: [`10.89.0.${i + 2}`] }], { port_mappings: [{ host_ip: '', container_port: 80, host_port: 18080 + i, range: 1, protocol: 'tcp' }] }));
      const dnat = (): string => w.host.run('nft', ['list', 'table', 'inet', 'skiff']).stdout;
      const r0 = w.call([...flags, 'setup', ctrs[0]!.path], input(0));
      assert.equal(r0.code, 0, r0.stdout + r0.stderr);
      assert.match(dnat(), /18080/);
      // behind the daemon's back: its context's cache now describes a table that is gone
      assert.equal(w.host.run('nft', ['delete', 'table', 'inet', 'skiff']).code, 0);
      const r1 = w.call([...flags, 'setup', ctrs[1]!.path], input(1));
      assert.equal(r1.code, 0, r1.stdout + r1.stderr);
      assert.match(dnat(), /18081/);
      for (const i of [1, 0]) {
        const r = w.call([...flags, 'teardown', ctrs[i]!.path], input(i));
        assert.equal(r.code, 0, r.stdout + r.stderr);
      }
      assert.doesNotMatch(dnat(), /1808[01]/);
    } finally {
      for (const c of ctrs) c.destroy();
      w.destroy();
    }
  });

  test('a network\'s elements applied at the current ruleset generation are not applied again; any change behind the daemon\'s back makes the next setup apply them', () => {
    const w = world();
    const ctrs = [0, 1, 2, 3].map(() => createNetns('skdg'));
    try {
      const n = { ...net(uniq('skdg')), subnets: [{ subnet: '10.93.0.0/16', gateway: '10.93.0.1' }] };
      const config = join(w.dir, 'state');
      const flags = ['--config', config, '--firewall-driver', 'nftables', '--aardvark-binary', '/nonexistent/dns'];
      const input = (i: number): string => JSON.stringify(options(`g${i}`, [{ net: n, ips: [`10.93.0.${i + 2}`] }]));
      const setup = (i: number): void => {
        const r = w.call([...flags, 'setup', ctrs[i]!.path], input(i));
        assert.equal(r.code, 0, r.stdout + r.stderr);
      };
      const bridges = (): string => w.host.run('nft', ['list', 'set', 'inet', 'skiff', 'bridges']).stdout;
      // the first builds the network's rules; the second re-adds its elements; the third finds them applied
      for (const i of [0, 1, 2]) setup(i);
      assert.equal(w.status().nft_batches_skipped, 1);
      assert.match(bridges(), new RegExp(n.bridge));
      // behind its back: the element goes, and with it the generation the daemon knew
      assert.equal(w.host.run('nft', ['flush', 'set', 'inet', 'skiff', 'bridges']).code, 0);
      assert.doesNotMatch(bridges(), new RegExp(n.bridge));
      setup(3);
      assert.equal(w.status().nft_batches_skipped, 1, 'applied, not skipped');
      assert.match(bridges(), new RegExp(n.bridge), 'the setup put it back');
      for (const i of [3, 2, 1, 0]) {
        const r = w.call([...flags, 'teardown', ctrs[i]!.path], input(i));
        assert.equal(r.code, 0, r.stdout + r.stderr);
      }
    } finally {
      for (const c of ctrs) c.destroy();
      w.destroy();
    }
  });

  test('an idle daemon gives back its read-only file mappings (file-backed RSS drops by a third or more); the next call is served as before', async () => {
    const w = world();
    const c = createNetns('skdt');
    try {
      const n = net(uniq('skdt'));
      const config = join(w.dir, 'state');
      const input = JSON.stringify(options('t0', [{ net: n, ips: ['10.88.3.2'] }]));
      const env = { SKIFF_DAEMON_TRIM_MS: '300' };
      const r = w.call(['--config', config, ...FLAGS, 'setup', c.path], input, env);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      // read from outside: a status call faults back the pages it runs on, and does not re-arm the trim
      const pid = Number(w.status().pid);
      const rssFile = (): number => Number(/^RssFile:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      const busy = rssFile();
      let idle = busy;
      await waitFor('the idle trim', () => (idle = rssFile()) < busy * 0.67);
      const trimmed = Number(w.status().idle_trimmed_kb);
      assert.ok(trimmed > 0, `file-backed RSS ${busy} kB before, ${idle} kB after, yet skiffd says it dropped ${trimmed} kB`);
      const t = w.call(['--config', config, ...FLAGS, 'teardown', c.path], input, env);
      assert.equal(t.code, 0, t.stdout + t.stderr);
      assert.deepEqual(w.host.ipJson<unknown[]>(['-d', 'link', 'show', 'type', 'veth']), []);
    } finally {
      c.destroy();
      w.destroy();
    }
  });

  test('the first DNS-enabled container: skiffd starts skiff-dns itself, as its `run` step would; it serves and leaves with the network', async () => {
    const w = world();
    const c = createNetns('skdd');
    try {
      const n: NetSpec = { ...net(uniq('skdd')), subnets: [{ subnet: '10.91.0.0/16', gateway: '10.91.0.1' }], dns: true };
      const config = join(w.dir, 'state');
      const dns = join(DIST, 'skiff-dns.cjs');
      const flags = ['--config', config, '--firewall-driver', 'none', '--aardvark-binary', dns];
      const input = JSON.stringify(options('dnsctr', [{ net: n, ips: ['10.91.1.2'] }]));
      const up = w.call([...flags, 'setup', c.path], input);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      assert.equal(w.status().dns_servers_started, 1);
      const pid = Number(readFileSync(join(config, 'aardvark-dns', 'aardvark.pid'), 'utf8').trim());
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      assert.deepEqual(cmdline.slice(-7), ['--max-semi-space-size=1', dns, '--config', join(config, 'aardvark-dns'), '-p', '53', 'run'], 'the command line skiff-dns run gives its server');
      const answer = run('ip', ['netns', 'exec', c.name, 'dig', '+short', '+time=3', '+tries=1', '@10.91.0.1', 'dnsctr', 'A']);
      assert.equal(answer.stdout.trim(), '10.91.1.2', answer.stdout + answer.stderr);
      const down = w.call([...flags, 'teardown', c.path], input);
      assert.equal(down.code, 0, down.stdout + down.stderr);
      await waitFor('the DNS server to leave with its last network', () => !alive(pid) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), 3000);
    } finally {
      c.destroy();
      w.destroy();
    }
  });

  test('a warm skiff-dns, once DNS is in use: the next first DNS-enabled container hands its start to it; same command line (as a title), answers, reloads, leaves with the network; none waits while it serves; it exits with skiffd', async () => {
    const w = world();
    const c1 = createNetns('skdw');
    const c2 = createNetns('skdw');
    try {
      const n: NetSpec = { ...net(uniq('skdw')), subnets: [{ subnet: '10.92.0.0/16', gateway: '10.92.0.1' }], dns: true };
      const config = join(w.dir, 'state');
      const dns = join(DIST, 'skiff-dns.cjs');
      const flags = ['--config', config, '--firewall-driver', 'none', '--aardvark-binary', dns];
      const in1 = JSON.stringify(options('warm1', [{ net: n, ips: ['10.92.1.2'] }]));
      const in2 = JSON.stringify(options('warm2', [{ net: n, ips: ['10.92.1.3'] }]));
      const pidFile = join(config, 'aardvark-dns', 'aardvark.pid');
      // no DNS yet: nothing is kept warm
      assert.equal(w.call(['version']).code, 0);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(w.status().dns_warm_ready, false, 'no warm process before DNS is used');
      // the first server ever is spawned; while it runs none waits, once it is gone a warm one does
      assert.equal(w.call([...flags, 'setup', c1.path], in1).code, 0);
      const first = Number(readFileSync(pidFile, 'utf8').trim());
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(w.status().dns_warm_ready, false, 'no warm process while a spawned server serves the dir');
      assert.equal(w.call([...flags, 'teardown', c1.path], in1).code, 0);
      await waitFor('the first DNS server to leave', () => !alive(first) || readFileSync(`/proc/${first}/stat`, 'utf8').includes(') Z'), 3000);
      await waitFor('a warm skiff-dns', () => w.status().dns_warm_ready === true);
      assert.equal(w.status().dns_warm_woken, 0, 'no wake while nothing may start a server');
      const up = w.call([...flags, 'setup', c1.path], in1);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      const st = w.status();
      assert.equal(st.dns_warm_woken, 1, 'the DNS-enabled setup woke it before handing it the start');
      assert.equal(st.dns_warm_used, 1);
      assert.equal(st.dns_servers_started, 2);
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '');
      assert.match(title, new RegExp(` --max-semi-space-size=1 ${dns} --config ${join(config, 'aardvark-dns')} -p 53 run$`), 'what `ps` shows, as for a spawned server');
      assert.equal(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3], String(pid), 'its own session, as spawned detached');
      const dig = (ns: Netns, name: string): string => run('ip', ['netns', 'exec', ns.name, 'dig', '+short', '+time=3', '+tries=1', '@10.92.0.1', name, 'A']).stdout.trim();
      assert.equal(dig(c1, 'warm1'), '10.92.1.2');
      // a second container: the CLI signals the server by its pid file, and it reloads
      const up2 = w.call([...flags, 'setup', c2.path], in2);
      assert.equal(up2.code, 0, up2.stdout + up2.stderr);
      assert.equal(Number(readFileSync(join(config, 'aardvark-dns', 'aardvark.pid'), 'utf8').trim()), pid, 'the same server');
      assert.equal(dig(c1, 'warm2'), '10.92.1.3');
      // while the server a warm process became runs, none waits: the next DNS network is a reload of that server
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(w.status().dns_warm_ready, false, 'no warm process while its server runs');
      const serverPid = w.status().pid as number;
      assert.deepEqual(readFileSync(`/proc/${serverPid}/task/${serverPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number), [pid], 'skiffd\'s one child is the server');
      for (const [c, i] of [[c2, in2], [c1, in1]] as const) {
        const down = w.call([...flags, 'teardown', c.path], i);
        assert.equal(down.code, 0, down.stdout + down.stderr);
      }
      await waitFor('the DNS server to leave with its last network', () => !alive(pid) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), 3000);
      await waitFor('another warm skiff-dns', () => w.status().dns_warm_ready === true);
      const daemonPid = w.status().pid as number;
      const warmPids = readFileSync(`/proc/${daemonPid}/task/${daemonPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      assert.equal(warmPids.length, 1, 'one warm process, skiffd\'s child');
      const waiting = readFileSync(`/proc/${warmPids[0]}/cmdline`, 'utf8').replaceAll('\0', ' ');
      assert.match(waiting, /dns-warm\.cjs/);
      assert.doesNotMatch(waiting, /aardvark|skiff-dns/, 'a waiting process is no DNS server to `ps | grep`');
      assert.equal(w.call(['daemon', 'stop']).code, 0);
      await waitFor('the warm process to exit with skiffd', () => !alive(warmPids[0]!) || readFileSync(`/proc/${warmPids[0]}/stat`, 'utf8').includes(') Z'));
    } finally {
      c1.destroy();
      c2.destroy();
      w.destroy();
    }
  });

  test('auto mode: the first call runs in-process and leaves a mark, sweeping marks older than ten minutes; the second starts the daemon; questions do neither', () => {
    const w = world();
    try {
      const stale = join(w.dir, 'skiffd-1-2-3.sock.seen');
      const fresh = join(w.dir, 'skiffd-4-5-6.sock.seen');
      writeFileSync(stale, '');
      writeFileSync(fresh, '');
      const old = new Date(Date.now() - 11 * 60_000);
      utimesSync(stale, old, old);
      const auto = { SKIFF_DAEMON: '' };
      // questions (version, help) never start a daemon nor mark the namespace
      for (const q of [['--version'], ['version'], ['--help'], ['setup', '--help'], []]) w.call(q, '', auto);
      assert.equal(w.status().running, false, 'questions start no daemon');
      assert.ok(!existsSync(`${w.socket()}.seen`), 'questions leave no mark');
      const call = (): RunResult => w.call(['--config', join(w.dir, 'state'), ...FLAGS, 'teardown', '/run/netns/skiff-nope'], '{}', auto);
      assert.equal(call().code, 1);
      assert.equal(w.status().running, false, 'one call: no daemon');
      assert.ok(existsSync(`${w.socket()}.seen`));
      assert.ok(!existsSync(stale), 'the stale mark is swept');
      assert.ok(existsSync(fresh), 'a recent mark stays');
      assert.equal(call().code, 1);
      assert.equal(w.status().running, true, 'the second call started the daemon');
      assert.equal(w.call(['version'], '', auto).code, 0);
      assert.ok((w.status().served as number) >= 2, 'a running daemon answers questions too');
    } finally {
      w.destroy();
    }
  });

  test('SKIFF_DAEMON=0 runs in-process and starts no daemon', () => {
    const w = world();
    try {
      const r = w.call(['version'], '', { SKIFF_DAEMON: '0' });
      assert.equal(r.code, 0);
      assert.equal(w.status().running, false);
    } finally {
      w.destroy();
    }
  });
});
