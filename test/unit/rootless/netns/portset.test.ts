import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatPortSet, normalise, parsePortsFlag, pastaForwards, portSetOf, union, uncovered } from '../../../../src/rootless/netns/portset.js';
import { ConfigError } from '../../../../src/lib/errors.js';

const pm = (host_port: number, protocol: string, range = 1) => ({ host_ip: '', container_port: 80, host_port, range, protocol });

describe('rootless netns port sets', () => {
  it('parses --ports: both protocols by default, per protocol with a prefix, none', () => {
    assert.deepEqual(parsePortsFlag('8080,9000-9009'), { tcp: [[8080, 8080], [9000, 9009]], udp: [[8080, 8080], [9000, 9009]] });
    assert.deepEqual(parsePortsFlag('tcp:8080,udp:5353-5354'), { tcp: [[8080, 8080]], udp: [[5353, 5354]] });
    assert.deepEqual(parsePortsFlag('none'), { tcp: [], udp: [] });
    assert.deepEqual(parsePortsFlag(''), { tcp: [], udp: [] });
  });

  for (const bad of ['0', '70000', '9-8', 'sctp:80', 'x', '80-']) {
    it(`refuses --ports ${JSON.stringify(bad)} naming the element`, () => {
      assert.throws(() => parsePortsFlag(`8080,${bad}`), (e: unknown) => e instanceof ConfigError && e.message.includes(`"${bad}"`));
    });
  }

  it('merges overlapping and adjacent ranges', () => {
    assert.deepEqual(normalise([[10, 12], [1, 3], [4, 5], [11, 20]]), [[1, 5], [10, 20]]);
    assert.deepEqual(union(parsePortsFlag('tcp:80'), parsePortsFlag('tcp:81,udp:53')), { tcp: [[80, 81]], udp: [[53, 53]] });
  });

  it('takes the host side of port mappings, ranges and tcp,udp included', () => {
    assert.deepEqual(portSetOf([pm(8080, 'tcp'), pm(5000, 'tcp,udp', 3)]), { tcp: [[5000, 5002], [8080, 8080]], udp: [[5000, 5002]] });
  });

  it('names what pasta does not forward', () => {
    const have = parsePortsFlag('8000-8100,tcp:9000');
    assert.deepEqual(uncovered(have, portSetOf([pm(8080, 'tcp'), pm(9000, 'tcp')])), []);
    assert.deepEqual(uncovered(have, portSetOf([pm(9000, 'udp'), pm(8099, 'tcp', 3)])), ['tcp:8099-8101', 'udp:9000']);
  });

  it('renders a set and turns it into same-port pasta forwards', () => {
    const set = parsePortsFlag('tcp:8080,udp:5353-5354');
    assert.equal(formatPortSet(set), 'tcp:8080,udp:5353-5354');
    assert.equal(formatPortSet({ tcp: [], udp: [] }), 'none');
    assert.deepEqual(pastaForwards(set), [
      { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 8080, range: 1 },
      { proto: 'udp', hostIp: '', hostPort: 5353, containerPort: 5353, range: 2 },
    ]);
  });
});

describe('slirp4netns forwards of the rootless netns', () => {
  it('one same-port forward per host port, ranges expanded, tcp,udp split', async () => {
    const { samePortFwds } = await import('../../../../src/rootless/netns/slirp-ports.js');
    assert.deepEqual(samePortFwds([pm(8080, 'tcp,udp'), { ...pm(9000, 'tcp', 2), host_ip: '10.0.0.1' }]), [
      { proto: 'tcp', host_addr: '0.0.0.0', host_port: 8080, guest_port: 8080 },
      { proto: 'udp', host_addr: '0.0.0.0', host_port: 8080, guest_port: 8080 },
      { proto: 'tcp', host_addr: '10.0.0.1', host_port: 9000, guest_port: 9000 },
      { proto: 'tcp', host_addr: '10.0.0.1', host_port: 9001, guest_port: 9001 },
    ]);
    assert.throws(() => samePortFwds([{ ...pm(80, 'tcp'), host_ip: '::1' }]), /IPv4 addresses only/);
  });
});
