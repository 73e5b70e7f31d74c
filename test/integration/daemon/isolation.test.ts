// skiffd keeps one instance of the CLI for all requests (src/daemon/cli-bundle.ts).
// The same sequence of calls, differing in log level, log format, flags and
// environment from one call to the next, must give the same stdout, stderr
// and exit codes through one warm daemon as through one fresh process per
// call. Each side has its own "host" namespace, so inputs can be identical.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, needRoot, run, SKIFF, SKIFF_CLIENT, type Netns, type RunResult } from '../../helpers/sandbox.js';
import { options, type NetSpec } from '../../helpers/options.js';

const noClient = existsSync(SKIFF_CLIENT) ? false : `${SKIFF_CLIENT} is not built (needs cc)`;

interface Step {
  args: string[];
  env?: NodeJS.ProcessEnv;
  input?: string;
}

interface Side {
  host: Netns;
  ctrs: Netns[];
  dir: string;
  call(step: Step): RunResult;
  destroy(): void;
}

/** A host namespace with its own containers; `daemon` sends every call to one skiffd, else one process each. */
function side(daemon: boolean, containers: number): Side {
  mkdirSync('/run/skiff-test', { recursive: true });
  const dir = mkdtempSync('/run/skiff-test/iso-');
  const host = createNetns('iso');
  const ctrs = Array.from({ length: containers }, () => createNetns('isoc'));
  // a clean environment: only what each step sets varies between calls
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, SKIFF_DAEMON_DIR: dir, SKIFF_DAEMON: daemon ? '1' : '0', SKIFF_DAEMON_IDLE_MS: '20000' };
  const subst = (a: string): string => a.replace(/^@config$/, join(dir, 'state')).replace(/^@c(\d+)$/, (_, i: string) => ctrs[Number(i)]!.path);
  return {
    host,
    ctrs,
    dir,
    call: (s) =>
      daemon
        ? run('nsenter', [`--net=${host.path}`, '--', SKIFF_CLIENT, ...s.args.map(subst)], { input: s.input, env: { ...base, ...s.env } })
        : run('nsenter', [`--net=${host.path}`, '--', process.execPath, SKIFF, ...s.args.map(subst)], { input: s.input, env: { ...base, ...s.env } }),
    destroy: () => {
      if (daemon) run('nsenter', [`--net=${host.path}`, '--', SKIFF_CLIENT, 'daemon', 'stop'], { env: base });
      for (const c of ctrs) c.destroy();
      host.destroy();
      rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }); // a stopped daemon may still be removing its files
    },
  };
}

/** What may differ between two runs of the same call: namespace paths, time stamps, pids, kernel-chosen names. */
function normalize(r: RunResult, s: Side): RunResult {
  const f = (t: string): string => {
    let out = t.replaceAll(s.dir, '<dir>');
    s.ctrs.forEach((c, i) => (out = out.replaceAll(c.path, `<c${i}>`)));
    return out
      .replace(/"time":"[^"]*"/g, '"time":"<t>"')
      .replace(/"pid":\d+/g, '"pid":<pid>')
      .replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi, '<mac>')
      .replace(/\bveth[0-9a-f]+\b/g, '<veth>')
      .replace(/\b\d+(\.\d+)? ?ms\b/g, '<ms>');
  };
  return { code: r.code, stdout: f(r.stdout), stderr: f(r.stderr) };
}

describe('skiffd: one CLI instance for many requests', { skip: needRoot || noClient }, () => {
  test('requests with different RUST_LOG, log format, flags and environment behave like separate processes', () => {
    const n: NetSpec = { name: 'isonet', bridge: 'isobr0', subnets: [{ subnet: '10.89.0.0/16', gateway: '10.89.0.1' }] };
    const input = (i: number): string => JSON.stringify(options(`c${i}`, [{ net: n, ips: [`10.89.1.${i + 2}`] }]));
    const g = ['--config', '@config', '--aardvark-binary', '/nonexistent/dns'];
    const steps: Step[] = [
      { args: [...g, '--firewall-driver', 'none', 'setup', '@c0'], input: input(0), env: { RUST_LOG: 'debug' } },
      { args: [...g, '--firewall-driver', 'none', 'setup', '@c1'], input: input(1) },
      // pino's JSON lines: its logger is created on the first line with that moment's level
      // (here a warning at the default level: the namespace is gone), then debug
      { args: [...g, '--firewall-driver', 'none', 'teardown', '/run/netns/isogone'], input: input(5), env: { SKIFF_LOG_FORMAT: 'json' } },
      { args: [...g, '--firewall-driver', 'none', 'setup', '@c2'], input: input(2), env: { SKIFF_LOG_FORMAT: 'json', RUST_LOG: 'debug' } },
      { args: [...g, '--firewall-driver', 'none', 'teardown', '@c2'], input: input(2), env: { SKIFF_LOG_FORMAT: 'json', RUST_LOG: 'warn' } },
      // the firewall's module-level loggers are created by the first call that loads them
      { args: [...g, 'setup', '@c3'], input: input(3), env: { RUST_LOG: 'netavark=trace' } },
      { args: [...g, 'teardown', '@c3'], input: input(3) },
      { args: [...g, 'setup', '@c3'], input: input(3), env: { NETAVARK_FW: 'none', SKIFF_LOG: 'info' } },
      { args: [...g, 'teardown', '@c3'], input: input(3), env: { NETAVARK_FW: 'none', RUST_LOG: 'off' } },
      { args: [...g, '--firewall-driver', 'none', 'teardown', '@c0'], input: input(0), env: { RUST_LOG: 'info' } },
      { args: [...g, '--firewall-driver', 'none', 'teardown', '@c1'], input: input(1), env: { RUST_LOG: 'debug' } },
      { args: ['--version'], env: { SKIFF_AS_NETAVARK: '1' } },
      { args: ['--version'] },
      { args: ['setup'] },
      { args: [...g, 'setup', '/nonexistent/netns'], input: input(4), env: { RUST_LOG: 'debug' } },
      { args: [...g, 'setup', '@c4'], input: '{"container_id": 1}' },
    ];
    const procs = side(false, 5);
    const daemon = side(true, 5);
    try {
      const expected = steps.map((s) => normalize(procs.call(s), procs));
      const got = steps.map((s) => normalize(daemon.call(s), daemon));
      assert.ok(expected[0]!.stderr.includes('[DEBUG'), `RUST_LOG=debug logs debug lines: ${expected[0]!.stderr}`);
      assert.ok(expected[2]!.stderr.includes('"level":40'), `pino logs the warning as JSON: ${expected[2]!.stderr}`);
      assert.ok(expected[3]!.stderr.includes('"level":20'), `pino logs debug lines as JSON: ${expected[3]!.stderr}`);
      steps.forEach((s, i) => assert.deepEqual(got[i], expected[i], `step ${i}: ${JSON.stringify(s.args)} ${JSON.stringify(s.env ?? {})}`));
      const status = daemon.call({ args: ['daemon', 'status'] });
      const served = (JSON.parse(status.stdout) as { served: number }).served;
      assert.ok(served >= steps.length, `one daemon served every call (${served})`);
      assert.ok(statSync(daemon.dir).isDirectory());
    } finally {
      procs.destroy();
      daemon.destroy();
    }
  });
});
