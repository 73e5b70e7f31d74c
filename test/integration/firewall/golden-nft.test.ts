// The golden batches of the unit tests are what the driver sends; here each one
// is fed to the real nft, in order, inside a throwaway namespace, so a golden
// file can never encode a batch the kernel would refuse.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO, createNetns, needRoot, type Netns } from '../../helpers/sandbox.js';

const GOLDEN = join(REPO, 'test/unit/golden/firewall');
// each step assumes the ones before it (e.g. "not last" removes network `other` added earlier)
const SEQUENCE = [
  'setup-network-dualstack-strict',
  'setup-network-known',
  'setup-network-snat-isolate-true-dnsport',
  'setup-network-internal',
  'setup-ports-mixed',
  'teardown-ports-handover', // the keys now point at the container's other network
  'reload-three-networks', // flush + refill from state: webPorts on podman again
  'teardown-ports-mixed',
  'teardown-ports-mixed', // removal is idempotent
  'teardown-network-not-last',
  'reload-three-networks',
  'reload-three-networks',
  'setup-network-foreign-drop',
  'teardown-network-last',
];

describe('golden nft batches apply on a real kernel', { skip: needRoot, concurrency: false }, () => {
  let ns: Netns | undefined;
  after(() => ns?.destroy());

  it('applies every golden batch in sequence and ends with no skiff table', () => {
    ns = createNetns('skg');
    const foreign = ns.run('nft', ['add table ip filter; add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }']);
    assert.equal(foreign.code, 0, foreign.stderr);
    for (const name of SEQUENCE) {
      const r = ns.run('nft', ['-j', '-f', join(GOLDEN, `${name}.json`)]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    }
    const ruleset = ns.sh('nft', ['list', 'ruleset']);
    assert.ok(!ruleset.includes('table inet skiff'), ruleset);
  });
});
