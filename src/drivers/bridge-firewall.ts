// A bridge attachment's firewall part, shared by the bridge driver and the CNI
// plugin: the network's rules, then the container's port forwards, each with
// the undo step that removes it if the setup fails later.
import type { FirewallDriver, FirewallNetwork, PortForward } from '../../firewall/firewall.js';
import type { UndoStack } from '../lib/undo.js';

/** `createdBridge`: this call made the bridge, so a failure removes the network's rules too (complete). */
export async function setupBridgeFirewall(fw: FirewallDriver, net: FirewallNetwork, ports: PortForward | undefined, createdBridge: boolean, undo: UndoStack): Promise<void> {
  await fw.setupNetwork(net);
  if (createdBridge) undo.push(`remove firewall rules of network ${net.networkName}`, () => fw.teardownNetwork(net, { complete: true }));
  if (ports) {
    await fw.setupPorts(ports);
    undo.push(`remove port forwards of network ${net.networkName}`, () => fw.teardownPorts(ports));
  }
}
