// Wraps the nftables driver so that, on a host where firewalld runs, each
// network's subnets are sources of firewalld's `trusted` zone while the network
// exists (netavark does the same): firewalld's forward chain rejects traffic of
// zones it does not know, whatever skiff's own table accepts. Without a system
// bus or without firewalld this adds nothing but an existsSync.
import type { FirewallDriver } from './firewall.js';
import { withFirewalld } from './firewalld.js';

export function trustInFirewalld(inner: FirewallDriver, env: NodeJS.ProcessEnv = process.env): FirewallDriver {
  return {
    name: inner.name,
    async setupNetwork(n) {
      await inner.setupNetwork(n);
      await withFirewalld((fw) => fw.addSources(n.subnets), env);
    },
    async teardownNetwork(n, o) {
      await inner.teardownNetwork(n, o);
      if (o.complete) await withFirewalld((fw) => fw.removeSources(n.subnets), env);
    },
    setupPorts: (p) => inner.setupPorts(p),
    teardownPorts: (p) => inner.teardownPorts(p),
    // firewall-reload re-trusts the saved networks itself (reload.ts), on the connection it may already hold
    reload: () => inner.reload(),
  };
}
