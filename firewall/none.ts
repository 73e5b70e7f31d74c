// `--firewall-driver none`: no rules at all; everything else works.
import type { FirewallDriver } from './firewall.js';

export const noneDriver: FirewallDriver = {
  name: 'none',
  async setupNetwork() {},
  async teardownNetwork() {},
  async setupPorts() {},
  async teardownPorts() {},
  async reload() {},
};
