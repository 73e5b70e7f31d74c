// Bad input, systematically (fast-check): any JSON, mutations of a valid
// Podman input, and hostile names given to `setup`, `create` and `rootless
// setup`. The CLI runs in-process in a worker inside a sandbox namespace
// (tools/cli-driver.ts). Properties:
//   - the answer is a JSON value with exit 0, or exactly {"error": non-empty
//     string} with exit 1 (2 for usage errors); never a stack trace;
//   - a failure changes nothing: links, addresses, nft ruleset, files under
//     the state dir and /run/sysctl.d are as before;
//   - a success tears down cleanly, wrote files only where they belong, and
//     every DNS config line it wrote parses back to the names it was given
//     (a name is never written into a path or a config line unescaped).
// The exact wording of errors is not asserted (the CLI's texts follow
// netavark's and change). SKIFF_PROPERTY_RUNS scales the number of runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { createNetns, needRoot, REPO, type Netns } from '../../helpers/sandbox.js';
import { parseNetworkConfig } from '../../../schemas/aardvark-config.js';

const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'tools', 'cli-driver.js');
const SCALE = Number(process.env.SKIFF_PROPERTY_RUNS ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
// replays a failure CI reported: SKIFF_PROPERTY_SEED=<the seed it printed>
const SEED = process.env.SKIFF_PROPERTY_SEED ? { seed: Number(process.env.SKIFF_PROPERTY_SEED) } : {};
const STACK = /\n\s+at .+(\(|:\d+:\d+)/;

interface Reply {
  code: number;
  stdout: string;
  stderr: string;
  before?: Snapshot;
  after?: Snapshot;
}
interface Snapshot {
  links: string[];
  addrs: string[];
  nft: string;
  files: Record<string, string>;
  sysctld: Record<string, string>;
}

/** The in-process CLI worker, inside `ns`. One request at a time. */
class Worker {
  private child: ChildProcessWithoutNullStreams;
  private waiting: ((r: Reply) => void)[] = [];
  stderr = '';
  constructor(ns: Netns) {
    this.child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, DRIVER], { env: { ...process.env, SKIFF_LOG: 'warn' } });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    createInterface({ input: this.child.stdout }).on('line', (l) => this.waiting.shift()?.(JSON.parse(l) as Reply));
  }
  call(argv: string[], input: string, snapshot?: string): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(JSON.stringify({ argv, input, snapshot }) + '\n');
    });
  }
  stop(): void {
    this.child.stdin.end();
  }
}

/** exit 0 with one JSON value, or exit 1/2 with exactly {"error": non-empty string}; no stack trace anywhere. */
function assertWellFormed(r: Reply, what: string): void {
  assert.ok(!STACK.test(r.stdout) && !STACK.test(r.stderr), `${what}: stack trace\n${r.stdout}\n${r.stderr}`);
  if (r.code === 0) {
    if (r.stdout.trim() !== '') JSON.parse(r.stdout);
    return;
  }
  assert.ok(r.code === 1 || r.code === 2, `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: one JSON line expected, got ${JSON.stringify(r.stdout)}`);
  const v = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['error'], `${what}: ${lines[0]}`);
  assert.ok(typeof v.error === 'string' && v.error.trim() !== '', `${what}: empty error`);
}

/**
 * Lock files are the one exception: created on first use and kept, like any
 * lock file (removing one races with the next locker); they hold no state.
 */
function assertUnchanged(r: Reply, what: string): void {
  const noLocks = (s: Snapshot | undefined): Snapshot | undefined =>
    s && { ...s, files: Object.fromEntries(Object.entries(s.files).filter(([f]) => !/(^|\/)[a-z-]+\.lock$/.test(f))) };
  assert.deepEqual(noLocks(r.after), noLocks(r.before), `${what}: a failure changed the host (exit ${r.code}: ${r.stdout.trim()})`);
}

// ---- inputs ----------------------------------------------------------------

const HOSTILE = [
  '../x', '../../etc/evil', 'a/b', '.', '..', 'a\nb', 'a\nfake 10.99.0.99  evil', 'a\0b', 'x'.repeat(300), '$(touch /tmp/skiff-pwn)',
  '`id`', 'a;b', 'a b', 'a,b', 'a\tb', ' ', '', '-rf', 'net%int', 'é', '\u202e', 'a"b', "a'b", 'a\\b', '*', 'aardvark.pid', '.hidden',
];
const hostile = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.stringMatching(/^[a-z0-9./\n\0 ;,$`'"\\-]{1,20}$/),
);

const base = (): Record<string, any> => JSON.parse(readFileSync(join(REPO, 'test/fixtures/setup/podman-4.3.1-web-dualstack-port.json'), 'utf8'));

/** Every path (array of keys) of a JSON value, containers included. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function setAt(root: Record<string, any>, path: (string | number)[], value: unknown, del: boolean): Record<string, any> {
  if (path.length === 0) return value as Record<string, any>;
  let cur: any = root;
  for (const k of path.slice(0, -1)) cur = cur[k];
  const last = path[path.length - 1]!;
  if (del) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
  return root;
}

const BASE_PATHS = paths(base());
/** A valid input with 1-3 places replaced (by any JSON or a hostile string) or removed. */
const mutated = fc
  .array(fc.record({ at: fc.nat(BASE_PATHS.length - 1), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostile), del: fc.boolean() }), { minLength: 1, maxLength: 3 })
  .map((muts) => {
    let v = base();
    for (const m of muts) {
      const p = paths(v)[m.at % paths(v).length]!;
      v = setAt(v, p, m.value, m.del);
    }
    return JSON.stringify(v);
  });

/** The valid input with hostile names in the places names go. */
const withHostileNames = fc
  .record({
    container: fc.option(hostile, { nil: undefined }),
    network: fc.option(hostile, { nil: undefined }),
    iface: fc.option(hostile, { nil: undefined }),
    bridge: fc.option(hostile, { nil: undefined }),
    alias: fc.option(hostile, { nil: undefined }),
    id: fc.option(hostile, { nil: undefined }),
  })
  .map((h) => {
    const v = base();
    if (h.container !== undefined) v.container_name = h.container;
    if (h.id !== undefined) v.container_id = h.id;
    const net = v.networks.mynet;
    if (h.iface !== undefined) net.interface_name = h.iface;
    if (h.alias !== undefined) net.aliases = [h.alias, 'ok-alias'];
    if (h.bridge !== undefined) v.network_info.mynet.network_interface = h.bridge;
    if (h.network !== undefined) {
      v.networks = { [h.network]: net };
      v.network_info = { [h.network]: { ...v.network_info.mynet, name: h.network } };
    }
    return JSON.stringify(v);
  });

const anyJsonText = fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 40 }));

// ---- tests -------------------------------------------------------------------

describe('bad input, property-based (fast-check)', { skip: needRoot }, () => {
  let host: Netns;
  let ctr: Netns;
  let worker: Worker;
  let config: string;
  let globals: string[];

  before(() => {
    host = createNetns('skp');
    host.sh('ip', ['link', 'set', 'lo', 'up']);
    ctr = createNetns('skpc');
    config = `/run/skiff-prop/${host.name}/state`;
    mkdirSync(config, { recursive: true });
    // a DNS "server" that starts and does nothing: the config files it would read are what is checked
    const dns = join(dirname(config), 'dns-stub');
    writeFileSync(dns, '#!/bin/sh\nexit 0\n');
    chmodSync(dns, 0o755);
    globals = ['--config', config, '--firewall-driver', 'nftables', '--aardvark-binary', dns];
    worker = new Worker(host);
  });
  after(() => {
    worker?.stop();
    ctr?.destroy();
    host?.destroy();
    rmSync(`/run/skiff-prop/${host?.name}`, { recursive: true, force: true });
  });

  /**
   * After a failed check the world may hold what that case left: start the
   * next case (fast-check's shrinking reruns many) from an empty one, so a
   * leak is reported once, by the case that caused it.
   */
  function resetWorld(): void {
    for (const l of host.ipJson<{ ifname: string }[]>(['link', 'show'])) if (l.ifname !== 'lo') host.run('ip', ['link', 'del', l.ifname]);
    host.run('nft', ['flush', 'ruleset']);
    rmSync(config, { recursive: true, force: true });
    mkdirSync(config, { recursive: true });
    ctr.destroy();
    ctr = createNetns('skpc');
  }

  function ctrLinks(): string[] {
    return ctr.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname).sort();
  }

  async function checkSetup(input: string): Promise<void> {
    try {
      await checkSetupOnce(input);
    } catch (e) {
      resetWorld();
      throw e;
    }
  }

  /** Setup, and on success: files only where they belong, DNS lines parse back, teardown restores the host. */
  async function checkSetupOnce(input: string): Promise<void> {
    const ctrBefore = ctrLinks();
    const r = await worker.call([...globals, 'setup', ctr.path], input, config);
    assertWellFormed(r, 'setup');
    if (r.code !== 0) {
      assertUnchanged(r, 'setup');
      assert.deepEqual(ctrLinks(), ctrBefore, 'a failed setup left links in the container');
      return;
    }
    const opts = JSON.parse(input) as Record<string, any>;
    for (const f of Object.keys(r.after!.files)) {
      assert.match(f, /^(aardvark-dns\/[^/]+|firewall\/.+|[a-z-]+\.lock|aardvark-dns\.loaded)$/, `setup wrote ${JSON.stringify(f)}`);
    }
    assertDnsLines(opts);
    const t = await worker.call([...globals, 'teardown', ctr.path], input, config);
    assertWellFormed(t, 'teardown after a successful setup');
    assert.equal(t.code, 0, t.stdout);
    assert.deepEqual(t.after!.links, r.before!.links, 'teardown left links');
    assert.deepEqual(t.after!.addrs, r.before!.addrs, 'teardown left addresses');
    assert.deepEqual(ctrLinks(), ctrBefore, 'teardown left links in the container');
    // no directory at all when no setup in this world had DNS (a case without dns_enabled, in a fresh world)
    const dnsLeft = existsSync(join(config, 'aardvark-dns')) ? readdirSync(join(config, 'aardvark-dns')) : [];
    assert.deepEqual(dnsLeft.filter((f) => f !== 'aardvark.pid'), [], 'teardown left DNS config');
  }

  /** Every DNS file parses, has the header and this container's line, and lists only names we gave. */
  function assertDnsLines(opts: Record<string, any>): void {
    let files: string[];
    try {
      files = readdirSync(join(config, 'aardvark-dns'));
    } catch {
      return;
    }
    // names are case-insensitive; the parser lowercases them
    const given = new Set<string>([String(opts.container_name).toLowerCase()]);
    for (const n of Object.values(opts.networks as Record<string, { aliases?: unknown }>)) {
      for (const a of (n.aliases as string[] | undefined) ?? []) given.add(String(a).toLowerCase());
    }
    for (const f of files) {
      const text = readFileSync(join(config, 'aardvark-dns', f), 'utf8');
      // header (bind IPs; empty for a network without subnets), one container line, final newline
      const lines = text.split('\n');
      assert.equal(lines.length, 3, `${f}: header + one container line expected:\n${text}`);
      assert.equal(lines[2], '', `${f}: no final newline`);
      if (lines[0] !== '') parseNetworkConfig(f, text);
      const cols = lines[1]!.split(' ');
      assert.ok(cols.length === 4 || cols.length === 5, `${f}: ${cols.length} columns in ${JSON.stringify(lines[1])}`);
      assert.equal(cols[0]!.toLowerCase(), String(opts.container_id).toLowerCase(), `${f}: id column`);
      for (const name of cols[3]!.split(',')) {
        assert.ok(given.has(name.toLowerCase()), `${f}: name ${JSON.stringify(name)} was not given (line: ${JSON.stringify(lines[1])})`);
      }
    }
  }

  test('setup: any JSON text', async () => {
    await fc.assert(fc.asyncProperty(anyJsonText, checkSetup), { numRuns: runs(60), includeErrorInReport: true, ...SEED });
  });

  test('setup: a valid Podman input with random parts replaced or removed', async () => {
    await fc.assert(fc.asyncProperty(mutated, checkSetup), { numRuns: runs(150), includeErrorInReport: true, ...SEED });
  });

  test('setup: hostile network, interface, bridge, container names, aliases and ids', async () => {
    await fc.assert(fc.asyncProperty(withHostileNames, checkSetup), { numRuns: runs(120), includeErrorInReport: true, ...SEED });
  });

  test('create: any JSON, and a valid create input with hostile or random parts; never touches the host', async () => {
    const createBase = JSON.parse(readFileSync(join(REPO, 'test/fixtures/create/basic.json'), 'utf8')).input as Record<string, any>;
    const createPaths = paths(createBase);
    const mutatedCreate = fc
      .record({ at: fc.nat(createPaths.length - 1), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostile), del: fc.boolean() })
      .map((m) => JSON.stringify(setAt(structuredClone(createBase), createPaths[m.at]!, m.value, m.del)));
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJsonText, mutatedCreate), async (input) => {
        const r = await worker.call(['create'], input, config);
        assertWellFormed(r, 'create');
        assertUnchanged(r, 'create');
        if (r.code === 0) {
          const n = JSON.parse(r.stdout) as Record<string, unknown>;
          assert.equal(typeof n.name, 'string');
          assert.ok(!/[/\n\0]/.test(String(n.name)) && !['.', '..'].includes(String(n.name)), `create accepted the name ${JSON.stringify(n.name)}`);
          assert.ok(!/[/\n\0]/.test(String(n.network_interface ?? '')), `create accepted the interface ${JSON.stringify(n.network_interface)}`);
        }
      }),
      { numRuns: runs(150), includeErrorInReport: true, ...SEED },
    );
  });

  test('rootless setup: any JSON and hostile port mappings are refused before anything starts', async () => {
    const portMapping = fc.record({
      host_ip: fc.oneof(fc.constant(''), hostile, fc.jsonValue({ maxDepth: 0 })),
      container_port: fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.jsonValue({ maxDepth: 0 })),
      host_port: fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.jsonValue({ maxDepth: 0 })),
      range: fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.jsonValue({ maxDepth: 0 })),
      protocol: fc.oneof(fc.constantFrom('tcp', 'udp', 'sctp', 'tcp,udp'), hostile),
    });
    const input = fc.oneof(anyJsonText, fc.array(portMapping, { maxLength: 3 }).map((pm) => JSON.stringify({ port_mappings: pm })));
    const dir = join(dirname(config), 'rootless');
    await fc.assert(
      fc.asyncProperty(input, async (text) => {
        // a netns that does not exist: a valid input fails there, a bad one must fail before it
        const r = await worker.call(['--config', dir, 'rootless', 'setup', '/run/netns/skiff-prop-missing'], text, dirname(config));
        assertWellFormed(r, 'rootless setup');
        assert.notEqual(r.code, 0, r.stdout);
        assertUnchanged(r, 'rootless setup');
      }),
      { numRuns: runs(100), includeErrorInReport: true, ...SEED },
    );
  });

  test('the worker printed no stack trace', () => {
    assert.ok(!STACK.test(worker.stderr), worker.stderr.slice(0, 4000));
  });
});
