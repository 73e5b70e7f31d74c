// `skiff update NETWORK --network-dns-servers a,b`: podman passes one
// comma-joined value; "" clears the servers.
import { ConfigError } from '../lib/errors.js';
import { parseIp } from '../../schemas/ip.js';
import { requireConfigDir, type Context } from './context.js';
import { updateDnsServers } from './dns.js';

export function parseServerList(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values.flatMap((x) => x.split(','))) {
    const s = v.trim();
    if (s === '') continue;
    const ip = parseIp(s);
    if (!ip) throw new ConfigError(`--network-dns-servers: ${JSON.stringify(s)} is not a valid IP address`);
    out.push(ip.address);
  }
  return out;
}

export async function update(ctx: Context, network: string, values: string[]): Promise<void> {
  const configDir = requireConfigDir(ctx, 'update');
  await updateDnsServers(ctx, configDir, network, parseServerList(values));
}
