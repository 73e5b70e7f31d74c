// `create`: a partly filled Network + what is already in use → the completed
// Network podman stores. The common checks, then the driver's own part
// (drivers/*-create.ts, or the plugin's create), then the common finish.
// Order of checks follows netavark's new_network()
// (nv:src/network/create_config/config.rs) so that the first error reported
// is the same one.
import type { Network } from '../../schemas/network.js';
import { driverFor } from '../drivers/registry.js';
import type { CreateEnv } from '../drivers/driver.js';
import { parseNet } from '../network/addr.js';
import type { CreateDeps, CreateRequest } from '../network/request.js';
import {
  IPAM_NONE,
  ipamDriver,
  validateDnsServers,
  validateInterfaceName,
  validateIpamDriver,
  validateNameId,
  validateRoutes,
  validateSubnet,
  validateSubnetsDistinct,
} from '../network/validate.js';

/** Checks every driver shares, before the driver-specific part (plugins included). */
function checkCommon(req: CreateRequest): void {
  const n = req.network;
  validateNameId(n.name, n.id, req.used.names);
  if (n.network_interface !== undefined) validateInterfaceName(n.network_interface);
  validateIpamDriver(n);
}

/**
 * Completes the network with its driver (--plugin-directory is searched for a
 * driver that is not built in). Throws ConfigError with netavark's message for
 * the first rule broken, SkiffError for an unknown driver or a failing plugin.
 */
export async function completeNetwork(req: CreateRequest, env: CreateEnv & { pluginDirs: readonly string[] }): Promise<Network> {
  checkCommon(req);
  const driver = await driverFor(req.network.driver, env.pluginDirs);
  const { network, checkUsed } = await driver.create({ ...req.network }, req, env);
  return finishNetwork(network, req, env.deps, checkUsed);
}

/**
 * The part after the driver (builtin or plugin): DNS off without IPAM, DNS
 * servers need DNS, subnets checked and given gateways, routes checked,
 * `created` stamped.
 */
function finishNetwork(network: Network, req: CreateRequest, deps: CreateDeps, checkUsed: boolean): Network {
  const n: Network = { ...network };
  if (ipamDriver(n) === IPAM_NONE) n.dns_enabled = false;
  validateDnsServers(n);
  // an internal network without DNS has nothing on the bridge that needs an address
  const addGateway = !n.internal || n.dns_enabled;
  if (n.subnets) {
    validateSubnetsDistinct(n.subnets);
    n.subnets = n.subnets.map((s) => validateSubnet(s, { addGateway, checkUsed, used: req.used.subnets }));
    if (n.subnets.some((s) => parseNet(s.subnet)!.family === 6)) n.ipv6_enabled = true;
  }
  validateRoutes(n);
  n.created = deps.now().toISOString();
  return n;
}
