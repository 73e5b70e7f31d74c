// Shared inputs and a recording fake for the firewall unit tests (no root, no nft).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { FirewallNetwork, PortForward } from '../../../../firewall/firewall.js';
import type { NftRunner } from '../../../../firewall/nftables/nft.js';
import type { NftBatch } from '../../../../firewall/nftables/nft-json.js';
import { REPO } from '../../../helpers/sandbox.js';

export const podman: FirewallNetwork = {
  networkId: '2f259bab93aaaaa2aff0a7a3b5ed6ef7d2a0d9a3bd2bf0e3be6c1a02f8b3ffc0',
  networkName: 'podman',
  bridge: 'podman0',
  subnets: ['10.88.0.0/16', 'fd00:88::/64'],
  gateways: ['10.88.0.1', 'fd00:88::1'],
  isolate: 'strict',
  internal: false,
  dnsPort: 53,
  dnsEnabled: true,
};

export const other: FirewallNetwork = {
  networkId: '7c1d8e0f5a0b4c6d9e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d',
  networkName: 'other',
  bridge: 'podman1',
  subnets: ['10.89.0.0/24'],
  gateways: ['10.89.0.1'],
  isolate: 'true',
  internal: false,
  dnsPort: 5353,
  dnsEnabled: true,
  outboundAddr4: '192.0.2.10',
};

export const internal: FirewallNetwork = {
  networkId: 'aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44',
  networkName: 'backend',
  bridge: 'podman2',
  subnets: ['10.90.0.0/24'],
  gateways: ['10.90.0.1'],
  isolate: 'false',
  internal: true,
  dnsPort: 5353,
  dnsEnabled: true,
};

export const CID = 'c0ffee0000000000000000000000000000000000000000000000000000000001';

export const webPorts: PortForward = {
  containerId: CID,
  network: podman,
  containerIpV4: '10.88.0.5',
  containerIpV6: 'fd00:88::5',
  portMappings: [
    { host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' },
    { host_ip: '0.0.0.0', container_port: 53, host_port: 5300, range: 2, protocol: 'tcp,udp' },
    { host_ip: '::', container_port: 443, host_port: 8443, range: 0, protocol: 'tcp' },
    { host_ip: '127.0.0.1', container_port: 22, host_port: 2222, range: 1, protocol: 'tcp' },
    { host_ip: '2001:db8::7', container_port: 9000, host_port: 9000, range: 1, protocol: 'sctp' },
  ],
};

/** Records every batch; `lists` answers `nft -j list ...` by its joined args. */
export class FakeNft implements NftRunner {
  batches: Array<{ what: string; batch: NftBatch }> = [];
  lists = new Map<string, unknown>();
  failNext: Error | undefined;
  async apply(batch: NftBatch, what: string): Promise<void> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    this.batches.push({ what, batch });
  }
  async list(args: readonly string[]): Promise<unknown> {
    return this.lists.get(args.join(' ')) ?? { nftables: [] };
  }
  last(): NftBatch {
    const b = this.batches.at(-1);
    assert.ok(b, 'no batch was applied');
    return b.batch;
  }
}

const temps: string[] = [];
process.on('exit', () => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
export const tempConfig = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiff-fw-unit-'));
  temps.push(d);
  return d;
};

/**
 * Compares a rendered batch with test/unit/golden/firewall/<name>.json (read
 * from the repo: tsc does not copy JSON). SKIFF_UPDATE_GOLDEN=1 rewrites it.
 */
export function assertGolden(name: string, actual: unknown): void {
  const path = join(REPO, 'test/unit/golden/firewall', `${name}.json`);
  // one command per line: a diff of a golden file reads like a diff of the ruleset
  const cmds = (actual as { nftables?: unknown[] }).nftables;
  const text = Array.isArray(cmds)
    ? `{"nftables": [\n${cmds.map((c) => ' ' + JSON.stringify(c)).join(',\n')}\n]}\n`
    : JSON.stringify(actual, null, 1) + '\n';
  if (process.env.SKIFF_UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.SKIFF_UPDATE_GOLDEN !== '1') assert.fail(`golden file ${path} missing; run with SKIFF_UPDATE_GOLDEN=1 and review it`);
    writeFileSync(path, text);
    return;
  }
  assert.deepEqual(actual, JSON.parse(readFileSync(path, 'utf8')), `rendered batch differs from ${path}`);
}
