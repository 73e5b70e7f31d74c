// Test helper: drives the nftables firewall driver from inside a namespace
// (`ip netns exec <host> node fw-driver-cli.js ...`), standing in for
// `skiff setup` while tests build the topology themselves. Never run it in the
// machine's own namespace: it changes the firewall of whatever netns it runs in.
//   fw-driver-cli.js <configDir> <op> '<json>'   [--rootless]
//   ops: setup-network <FirewallNetwork> | teardown-network {"network":..,"complete":bool}
//        setup-ports <PortForward> | teardown-ports <PortForward> | reload
import { errorMessage } from '../../src/lib/errors.js';
import type { FirewallNetwork, PortForward } from '../../firewall/firewall.js';
import { createNftablesDriver } from '../../firewall/nftables/driver.js';
import { firewallReload } from '../../firewall/reload.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--rootless');
  const rootless = process.argv.includes('--rootless');
  const [configDir, op, json] = args;
  if (!configDir || !op) throw new Error('usage: fw-driver-cli <configDir> <op> [json]');
  const d = createNftablesDriver({ configDir, rootless });
  const input = json ? (JSON.parse(json) as unknown) : undefined;
  switch (op) {
    case 'setup-network':
      return d.setupNetwork(input as FirewallNetwork);
    case 'teardown-network': {
      const t = input as { network: FirewallNetwork; complete: boolean };
      return d.teardownNetwork(t.network, { complete: t.complete });
    }
    case 'setup-ports':
      return d.setupPorts(input as PortForward);
    case 'teardown-ports':
      return d.teardownPorts(input as PortForward);
    case 'reload':
      return firewallReload(configDir);
    default:
      throw new Error(`unknown op ${op}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`fw-driver-cli: ${errorMessage(e)}\n`);
  process.exitCode = 1;
});
