// Runs src/dns-feed's exported functions inside a sandbox namespace (the
// server it may start must bind there, never in the machine's namespace).
// argv[2] = JSON { op, ctx, ... }; prints {"ok":true} or {"error": "..."}.
import { commitDnsEntries, removeDnsEntries, updateNetworkDnsServers, type DnsContext, type DnsContainerEntry } from '../../../../src/dns-feed/feed.js';

type Op =
  | { op: 'commit'; ctx: DnsContext; entries: DnsContainerEntry[] }
  | { op: 'remove'; ctx: DnsContext; containerId: string; networks: { name: string; internal: boolean }[] }
  | { op: 'update'; ctx: DnsContext; network: string; servers: string[] };

const o = JSON.parse(process.argv[2] ?? '{}') as Op;
const work =
  o.op === 'commit'
    ? commitDnsEntries(o.ctx, o.entries)
    : o.op === 'remove'
      ? removeDnsEntries(o.ctx, o.containerId, o.networks)
      : updateNetworkDnsServers(o.ctx, o.network, o.servers);
work.then(
  () => process.stdout.write('{"ok":true}\n'),
  (e: Error) => {
    process.stdout.write(JSON.stringify({ error: e.message }) + '\n');
    process.exitCode = 1;
  },
);
