// Driver selection, and firewall-reload going through it with the driver name saved in the state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFirewallDriver, isFirewallDriverName, parseFirewallDriverName, selectFirewallDriver } from '../../../firewall/select.js';
import { firewallReload } from '../../../firewall/reload.js';

describe('firewall driver selection', () => {
  it('selects none without loading nftables, nftables lazily, refuses firewalld', async () => {
    assert.equal((await selectFirewallDriver('none', { configDir: '/nonexistent', rootless: true })).name, 'none');
    assert.equal((await selectFirewallDriver('nftables', { configDir: '/nonexistent', rootless: true })).name, 'nftables');
    assert.throws(() => parseFirewallDriverName('firewalld'), /"firewalld" is not supported/);
    assert.equal(parseFirewallDriverName('NFTABLES'), 'nftables');
  });
  it('creates the bare driver a saved name names', async () => {
    assert.equal((await createFirewallDriver('none', { configDir: '/nonexistent', rootless: false })).name, 'none');
    assert.equal((await createFirewallDriver('nftables', { configDir: '/nonexistent', rootless: false })).name, 'nftables');
    assert.equal(isFirewallDriverName('nftables'), true);
    assert.equal(isFirewallDriverName('iptables'), false);
  });
});

describe('firewall-reload', () => {
  // none of these reach nft: nothing recorded, `none`, or a driver skiff does not have
  for (const saved of [undefined, 'none', 'iptables']) {
    it(`re-applies nothing when the saved driver is ${saved ?? 'not recorded'}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-reload-'));
      try {
        if (saved !== undefined) {
          mkdirSync(join(dir, 'firewall'));
          writeFileSync(join(dir, 'firewall', 'firewall-driver'), `${saved}\n`);
        }
        await firewallReload(dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
