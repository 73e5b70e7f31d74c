// PortMapping as podman sends it (all five keys present). Shared by `setup`
// (firewall DNAT) and `skiff rootless` (pasta/slirp4netns forwards).
// zod/mini: the full zod build costs ~40 ms of start-up on every `skiff setup`.
import * as z from 'zod/mini';
import './zod-locale.js';

const u16 = () => z.int().check(z.minimum(0), z.maximum(65535));

export const portMappingSchema = z.object({
  host_ip: z._default(z.string(), ''),
  container_port: u16(),
  host_port: u16(),
  /** count of consecutive ports, 1-indexed; 0 is treated as 1 */
  range: z._default(u16(), 1),
  /** tcp | udp | sctp, or a comma list of them (split by splitProtocols) */
  protocol: z._default(z.string(), 'tcp'),
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
