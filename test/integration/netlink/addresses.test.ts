// Address verbs of the rtnetlink facade, read back with `ip -j addr`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { needRoot } from '../../helpers/sandbox.js';
import { ipAddrs, nlNetns, type NlNs } from '../../helpers/netlink.js';
import { NetlinkError } from '../../../src/lib/errors.js';

describe('netlink addresses', { skip: needRoot }, () => {
  let a: NlNs;
  let br: number;
  before(async () => {
    a = await nlNetns();
    br = (await a.nl.createBridge({ name: 'skbr0' })).index;
  });
  after(() => a?.destroy());

  test('IPv4: add, add again (idempotent), read back, with broadcast', async () => {
    await a.nl.addAddress({ linkIndex: br, cidr: '10.89.0.1/24' });
    await a.nl.addAddress({ linkIndex: br, cidr: '10.89.0.1/24' });
    assert.deepEqual(ipAddrs(a.ns, 'skbr0'), ['10.89.0.1/24']);
    const [info] = a.ns.ipJson<{ addr_info: { broadcast?: string }[] }[]>(['addr', 'show', 'dev', 'skbr0']);
    assert.equal(info?.addr_info[0]?.broadcast, '10.89.0.255');
    assert.deepEqual(await a.nl.addresses(br), [{ linkIndex: br, cidr: '10.89.0.1/24' }]);
  });

  test('IPv6: add in non-canonical spelling, idempotent, read back canonical', async () => {
    await a.nl.addAddress({ linkIndex: br, cidr: 'fd10:0:0:0::1/64' });
    await a.nl.addAddress({ linkIndex: br, cidr: 'fd10::1/64' });
    assert.deepEqual(ipAddrs(a.ns, 'skbr0'), ['10.89.0.1/24', 'fd10::1/64']);
    const mine = (await a.nl.addresses(br)).filter((x) => !x.cidr.startsWith('fe80:'));
    assert.deepEqual(mine, [
      { linkIndex: br, cidr: '10.89.0.1/24' },
      { linkIndex: br, cidr: 'fd10::1/64' },
    ]);
  });

  test('addresses() without a link lists every link (lo included)', async () => {
    await a.nl.setUp(1);
    const all = await a.nl.addresses();
    assert.ok(all.some((x) => x.linkIndex === 1 && x.cidr === '127.0.0.1/8'));
    assert.ok(all.some((x) => x.linkIndex === br && x.cidr === '10.89.0.1/24'));
  });

  test('IPv6 address already there with another prefix: EEXIST that says so', async () => {
    await assert.rejects(a.nl.addAddress({ linkIndex: br, cidr: 'fd10::1/48' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'EEXIST');
      assert.equal(e.message, 'Netlink error: add address fd10::1/48 to link ' + br + ': File exists (os error 17)');
      assert.equal(e.hint, 'The link already has fd10::1/64');
      return true;
    });
  });

  test('add to a missing link: ENODEV naming the address and link', async () => {
    await assert.rejects(a.nl.addAddress({ linkIndex: 9999, cidr: '10.90.0.1/24' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'ENODEV');
      assert.equal(e.message, 'Netlink error: add address 10.90.0.1/24 to link 9999: No such device (os error 19)');
      return true;
    });
  });

  test('invalid CIDR: EINVAL before the kernel', async () => {
    await assert.rejects(a.nl.addAddress({ linkIndex: br, cidr: '10.89.0.300/24' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'EINVAL');
      assert.equal(e.message, 'Netlink error: add address 10.89.0.300/24 to link ' + br + ': invalid IP address "10.89.0.300"');
      return true;
    });
  });

  test('delete: deleted, then absent (also on a vanished link)', async () => {
    assert.equal(await a.nl.deleteAddress({ linkIndex: br, cidr: '10.89.0.1/24' }), 'deleted');
    assert.equal(await a.nl.deleteAddress({ linkIndex: br, cidr: '10.89.0.1/24' }), 'absent');
    assert.equal(await a.nl.deleteAddress({ linkIndex: br, cidr: 'fd10::1/64' }), 'deleted');
    assert.equal(await a.nl.deleteAddress({ linkIndex: br, cidr: 'fd10::1/64' }), 'absent');
    assert.deepEqual(ipAddrs(a.ns, 'skbr0'), []);
    assert.equal(await a.nl.deleteAddress({ linkIndex: 9999, cidr: '10.89.0.1/24' }), 'absent');
  });
});
