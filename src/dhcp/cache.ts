// The proxy's lease cache, <dir>/nv-proxy.lease: JSON keyed by container MAC,
// each entry the request that made the lease and the lease itself. Rewritten
// atomically on every change, so a restarted proxy finds every lease it held
// and resumes renewing them.
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { writeFileAtomic } from '../lib/state-files.js';
import type { DhcpLease } from './client.js';
import type { ProtoNetworkConfig } from './grpc.js';

export interface CacheEntry {
  config: ProtoNetworkConfig;
  lease: DhcpLease;
}

const ip = z.string();
const leaseSchema = z.object({
  yiaddr: ip,
  subnetMask: ip,
  gateways: z.array(ip),
  dnsServers: z.array(ip),
  ntpServers: z.array(ip),
  domainName: z.string(),
  hostName: z.string(),
  broadcast: z.string(),
  mtu: z.number(),
  siaddr: ip,
  srvId: ip,
  leaseTime: z.number(),
  t1: z.number(),
  t2: z.number(),
  boundAt: z.number(),
});
const configSchema = z.object({
  host_iface: z.string(),
  container_iface: z.string(),
  container_mac_addr: z.string(),
  domain_name: z.string(),
  host_name: z.string(),
  version: z.union([z.literal('V4'), z.literal('V6'), z.number()]),
  ns_path: z.string(),
  container_id: z.string(),
});
const fileSchema = z.record(z.string(), z.object({ config: configSchema, lease: leaseSchema }));

export class LeaseCache {
  private readonly entries = new Map<string, CacheEntry>();

  /** Reads `path`; a missing file is an empty cache, an unreadable one is reported through `warn` and dropped. */
  constructor(
    readonly path: string,
    warn: (msg: string) => void,
  ) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`could not read lease cache ${path}: ${(e as Error).message}`);
      this.flush();
      return;
    }
    if (text.trim() === '') {
      this.flush();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      warn(`lease cache ${path} is not JSON, starting empty: ${(e as Error).message}`);
      this.flush();
      return;
    }
    const r = fileSchema.safeParse(parsed);
    if (!r.success) {
      warn(`lease cache ${path} is not a lease cache, starting empty: ${r.error.issues[0]?.message ?? 'invalid'}`);
      this.flush();
      return;
    }
    for (const [mac, e] of Object.entries(r.data)) this.entries.set(mac, e as CacheEntry);
  }

  get size(): number {
    return this.entries.size;
  }

  get(mac: string): CacheEntry | undefined {
    return this.entries.get(mac);
  }

  all(): [string, CacheEntry][] {
    return [...this.entries];
  }

  set(mac: string, entry: CacheEntry): void {
    this.entries.set(mac, entry);
    this.flush();
  }

  remove(mac: string): CacheEntry | undefined {
    const e = this.entries.get(mac);
    if (e) {
      this.entries.delete(mac);
      this.flush();
    }
    return e;
  }

  clear(): void {
    this.entries.clear();
    this.flush();
  }

  private flush(): void {
    writeFileAtomic(this.path, `${JSON.stringify(Object.fromEntries(this.entries), null, 2)}\n`, 0o600);
  }
}
