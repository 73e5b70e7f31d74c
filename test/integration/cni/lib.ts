// A sandboxed "node" for CNI tests: a host network namespace standing in for
// the machine, container namespaces hanging off it, and a runtime stand-in
// that calls plugins the way libcni does (env + stdin, prevResult threaded
// through a conflist, DEL in reverse order). State and IPAM data live in
// directories of their own under the sandbox's private /run.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, REPO, run, type Netns } from '../../helpers/sandbox.js';

export const SKIFF_CNI = join(REPO, process.env.SKIFF_DIST_DIR ?? 'dist', 'skiff-cni.cjs');
/** The native client (thick plugin): installed as `skiff`, it hands CNI calls to skiffd. */
export const SKIFF_CLIENT_BIN = join(REPO, process.env.SKIFF_DIST_DIR ?? 'dist', 'skiff-client');
export const REF_DIR = '/usr/lib/cni';

/** A directory holding `skiff` (our plugin) next to links to the reference plugins: CNI_PATH for the tests. */
export interface Attach {
  containerId: string;
  netns: string;
  ifName?: string;
}

export interface PluginRun {
  code: number;
  json: any;
  stdout: string;
  stderr: string;
}

export type NetConf = Record<string, any>;

export class CniNode {
  readonly ns: Netns;
  readonly stateDir: string;
  readonly ipamDir: string;
  readonly binDir: string;
  /** `skiff` as the native client, and where its skiffd keeps its socket */
  readonly clientBinDir: string;
  readonly daemonDir: string;
  private readonly containers: Netns[] = [];

  constructor(prefix = 'cnh') {
    this.ns = createNetns(prefix);
    this.stateDir = `/run/skiff-cni-test/${this.ns.name}/state`;
    this.ipamDir = `/run/skiff-cni-test/${this.ns.name}/ipam`;
    this.binDir = `/run/skiff-cni-test/${this.ns.name}/bin`;
    mkdirSync(this.binDir, { recursive: true });
    // `skiff` as a runtime finds it: an executable named after the type, in CNI_PATH
    this.ns.sh('ln', ['-sf', SKIFF_CNI, join(this.binDir, 'skiff')]);
    this.clientBinDir = `/run/skiff-cni-test/${this.ns.name}/client-bin`;
    this.daemonDir = `/run/skiff-cni-test/${this.ns.name}/daemon`;
    mkdirSync(this.clientBinDir, { recursive: true });
    this.ns.sh('ln', ['-sf', SKIFF_CLIENT_BIN, join(this.clientBinDir, 'skiff')]);
  }

  /** extraEnv for exec/ok: call `skiff` through skiff-client and a skiffd of this node. */
  get viaClient(): Record<string, string> {
    return { SKIFF_CNI_VIA_CLIENT: '1', SKIFF_DAEMON: '1', SKIFF_DAEMON_DIR: this.daemonDir };
  }

  get cniPath(): string {
    return `${this.binDir}:${REF_DIR}`;
  }

  container(prefix = 'cnc'): Netns {
    const c = createNetns(prefix);
    this.containers.push(c);
    return c;
  }

  /** host-local with its data under this node's directory. */
  hostLocal(subnet: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { type: 'host-local', subnet, dataDir: this.ipamDir, ...extra };
  }

  /** One plugin call; `type` is looked up in CNI_PATH like libcni does. */
  exec(command: string, conf: NetConf, a: Partial<Attach> & { ifName?: string }, extraEnv: Record<string, string> = {}): PluginRun {
    const type = String(conf.type);
    const client = extraEnv.SKIFF_CNI_VIA_CLIENT === '1';
    const path = type === 'skiff' ? join(client ? this.clientBinDir : this.binDir, 'skiff') : join(REF_DIR, type);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_PATH: this.cniPath,
      SKIFF_CNI_STATE_DIR: this.stateDir,
      SKIFF_LOG: 'warn',
      ...(a.containerId ? { CNI_CONTAINERID: a.containerId } : {}),
      ...(a.netns !== undefined ? { CNI_NETNS: a.netns } : {}),
      ...(a.containerId ? { CNI_IFNAME: a.ifName ?? 'eth0' } : {}),
      ...extraEnv,
    };
    const argv = ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), path];
    // through the client: nsenter --net, as `ip netns exec` makes a new mount namespace (so a new skiffd) per call
    const r = client
      ? run('nsenter', [`--net=${this.ns.path}`, 'env', ...argv], { input: JSON.stringify(conf) })
      : this.ns.run('env', argv, { input: JSON.stringify(conf) });
    let json: any;
    try {
      json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
    } catch {
      json = undefined;
    }
    return { code: r.code, json, stdout: r.stdout, stderr: r.stderr };
  }

  /** exec that must succeed. */
  ok(command: string, conf: NetConf, a: Partial<Attach>, extraEnv: Record<string, string> = {}): any {
    const r = this.exec(command, conf, a, extraEnv);
    assert.equal(r.code, 0, `${conf.type} ${command} failed: ${r.stdout} ${r.stderr}`);
    return r.json;
  }

  /** libcni's AddNetworkList: each plugin in order, prevResult threaded through. */
  addList(list: { cniVersion: string; name: string; plugins: NetConf[] }, a: Attach, runtimeConfig: Record<string, unknown> = {}): any {
    let prev: unknown;
    for (const p of list.plugins) {
      const conf = pluginConf(list, p, runtimeConfig, prev);
      prev = this.ok('ADD', conf, a);
    }
    return prev;
  }

  /** libcni's CheckNetworkList: every plugin gets the cached final result. */
  checkList(list: { cniVersion: string; name: string; plugins: NetConf[] }, a: Attach, result: unknown, runtimeConfig: Record<string, unknown> = {}): PluginRun {
    for (const p of list.plugins) {
      const r = this.exec('CHECK', pluginConf(list, p, runtimeConfig, result), a);
      if (r.code !== 0) return r;
    }
    return { code: 0, json: undefined, stdout: '', stderr: '' };
  }

  /** libcni's DelNetworkList: reverse order, with the cached result when there is one. */
  delList(list: { cniVersion: string; name: string; plugins: NetConf[] }, a: Attach, result?: unknown, runtimeConfig: Record<string, unknown> = {}): void {
    for (const p of [...list.plugins].reverse()) this.ok('DEL', pluginConf(list, p, runtimeConfig, result), a);
  }

  nft(args: string[]): string {
    return this.ns.sh('nft', args);
  }

  /** Every element text of one set/map of `inet skiff`, or undefined when the table is gone. */
  nftElements(set: string, kind: 'set' | 'map' = 'map'): string | undefined {
    const r = this.ns.run('nft', ['list', kind, 'inet', 'skiff', set]);
    return r.code === 0 ? r.stdout : undefined;
  }

  linkNames(): string[] {
    return this.ns.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname).sort();
  }

  destroy(): void {
    // a skiffd started through viaClient
    run('nsenter', [`--net=${this.ns.path}`, 'env', `SKIFF_DAEMON_DIR=${this.daemonDir}`, SKIFF_CLIENT_BIN, 'daemon', 'stop']);
    for (const c of this.containers) c.destroy();
    this.ns.destroy();
    rmSync(`/run/skiff-cni-test/${this.ns.name}`, { recursive: true, force: true });
  }
}

/** A plugin's stdin inside a conflist: name/cniVersion from the list, runtimeConfig for its capabilities. */
export function pluginConf(list: { cniVersion: string; name: string }, p: NetConf, runtimeConfig: Record<string, unknown>, prev: unknown): NetConf {
  const caps = (p.capabilities ?? {}) as Record<string, boolean>;
  const rc = Object.fromEntries(Object.entries(runtimeConfig).filter(([k]) => caps[k]));
  const { capabilities: _c, ...rest } = p;
  return {
    ...rest,
    cniVersion: list.cniVersion,
    name: list.name,
    ...(Object.keys(rc).length > 0 ? { runtimeConfig: rc } : {}),
    ...(prev !== undefined ? { prevResult: prev } : {}),
  };
}

export function addrsOf(ns: Netns, dev: string): string[] {
  const out = ns.ipJson<{ addr_info: { local: string; prefixlen: number; scope: string }[] }[]>(['addr', 'show', 'dev', dev]);
  return (out[0]?.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`);
}
