// A sandbox "host" network namespace running skiff the way an engine would,
// with container namespaces hanging off it. Everything is deleted by name.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { createNetns, skiff, type Netns, type RunResult } from './sandbox.js';

export interface IpLink { ifname: string; ifindex: number; master?: string; mtu: number; address: string; operstate: string; flags: string[]; linkinfo?: { info_kind?: string } }
export interface IpAddr { ifname: string; addr_info: { local: string; prefixlen: number; family: string }[] }
export interface IpRoute { dst: string; gateway?: string; dev?: string; metric?: number; type?: string }

export class Host {
  readonly ns: Netns;
  readonly config: string;
  private readonly containers: Netns[] = [];
  constructor() {
    this.ns = createNetns('skh');
    this.config = `/run/skiff-test/${this.ns.name}`;
    mkdirSync(this.config, { recursive: true });
  }
  container(): Netns {
    const c = createNetns('skc');
    this.containers.push(c);
    return c;
  }
  /** Global flags for every call; tests of the firewall or DNS override them. */
  flags: string[] = ['--firewall-driver', 'none', '--aardvark-binary', '/nonexistent/dns'];
  run(cmd: 'setup' | 'teardown', ctr: Netns | string, input: unknown, extra: string[] = []): RunResult {
    const path = typeof ctr === 'string' ? ctr : ctr.path;
    return skiff(this.ns, ['--config', this.config, ...this.flags, ...extra, cmd, path], {
      input: JSON.stringify(input),
    });
  }
  setup(ctr: Netns, input: unknown): Record<string, any> {
    const r = this.run('setup', ctr, input);
    assert.equal(r.code, 0, `setup failed: ${r.stdout} ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, any>;
  }
  teardown(ctr: Netns | string, input: unknown): void {
    const r = this.run('teardown', ctr, input);
    assert.equal(r.code, 0, `teardown failed: ${r.stdout} ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
  links(): IpLink[] {
    return this.ns.ipJson<IpLink[]>(['-d', 'link', 'show']);
  }
  linkNames(): string[] {
    return this.links().map((l) => l.ifname).sort();
  }
  /**
   * The kernel removes the host end of a veth after its container namespace, asynchronously: until then the
   * bridge still has that port, and a teardown (netavark's too) sees a bridge in use. Through skiffd a
   * teardown can come that fast.
   */
  async waitForNoPorts(bridge: string, ms = 5000): Promise<void> {
    for (const end = Date.now() + ms; this.links().some((l) => l.master === bridge); ) {
      if (Date.now() > end) throw new Error(`a port of ${bridge} outlived its namespace by ${ms} ms`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  destroy(): void {
    for (const c of this.containers) c.destroy();
    this.ns.destroy();
    rmSync(this.config, { recursive: true, force: true });
  }
}

export function addrs(ns: Netns, dev: string): string[] {
  return ns.ipJson<IpAddr[]>(['addr', 'show', 'dev', dev]).flatMap((a) => a.addr_info.filter((i) => !i.local.startsWith('fe80')).map((i) => `${i.local}/${i.prefixlen}`));
}

export function ping(from: Netns, ip: string): boolean {
  return from.run('ping', [ip.includes(':') ? '-6' : '-4', '-c1', '-W2', ip]).code === 0;
}

