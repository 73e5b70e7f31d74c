import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nsenterArgs, parseNetInfo } from '../../../src/rootless/netinfo.js';

// `ip -j addr show` inside a pasta-configured namespace (trimmed from a real run).
const ADDR = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
  {
    ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'UP'], mtu: 65520,
    addr_info: [
      { family: 'inet', local: '10.77.0.1', prefixlen: 24, scope: 'global' },
      { family: 'inet6', local: '2001:db8::5', prefixlen: 64, scope: 'global' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ],
  },
]);
const R4 = JSON.stringify([{ dst: 'default', gateway: '10.77.0.2', dev: 'eth0' }, { dst: '10.77.0.0/24', dev: 'eth0' }]);
const R6 = JSON.stringify([{ dst: 'default', gateway: 'fe80::2', dev: 'eth0' }]);

describe('parseNetInfo', () => {
  it('takes the default-route interface, global addresses and gateways', () => {
    assert.deepEqual(parseNetInfo(ADDR, R4, R6), { interface: 'eth0', mtu: 65520, addresses: ['10.77.0.1/24', '2001:db8::5/64'], gateway4: '10.77.0.2', gateway6: 'fe80::2' });
  });
  it('works without routes (interface with addresses)', () => {
    assert.deepEqual(parseNetInfo(ADDR, '', '[]'), { interface: 'eth0', mtu: 65520, addresses: ['10.77.0.1/24', '2001:db8::5/64'] });
  });
  it('fails when only lo exists', () => {
    assert.throws(() => parseNetInfo(JSON.stringify([JSON.parse(ADDR)[0]]), '[]', '[]'), /no interface besides lo/);
  });
  it('fails on garbage', () => {
    assert.throws(() => parseNetInfo('not json', '[]', '[]'), /cannot parse `ip -j addr` output/);
  });
  it('joins the user namespace only when given', () => {
    assert.deepEqual(nsenterArgs('/n', undefined), ['--net=/n']);
    assert.deepEqual(nsenterArgs('/n', '/u'), ['--preserve-credentials', '--user=/u', '--net=/n']);
  });
});
