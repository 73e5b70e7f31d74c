// PortMapping as podman sends it (all five keys present). Shared by `setup`
// (firewall DNAT) and `skiff rootless` (pasta/slirp4netns forwards).
import { z } from 'zod';

export const portMappingSchema = z.object({
  host_ip: z.string().default(''),
  container_port: z.number().int().min(0).max(65535),
  host_port: z.number().int().min(0).max(65535),
  /** count of consecutive ports, 1-indexed; 0 is treated as 1 */
  range: z.number().int().min(0).max(65535).default(1),
  /** tcp | udp | sctp, or a comma list of them (split by splitProtocols) */
  protocol: z.string().default('tcp'),
});

export type PortMapping = z.infer<typeof portMappingSchema>;
export type Protocol = 'tcp' | 'udp' | 'sctp';

/** "tcp,udp" → ['tcp','udp']; unknown names throw with the offending value. */
export function splitProtocols(protocol: string): Protocol[] {
  const out: Protocol[] = [];
  for (const raw of protocol.split(',')) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw new Error(`unsupported protocol "${raw.trim()}" (use tcp, udp or sctp)`);
    if (!out.includes(p)) out.push(p);
  }
  if (out.length === 0) throw new Error('protocol must not be empty');
  return out;
}
