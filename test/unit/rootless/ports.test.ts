import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pastaSpec, slirpHostFwds, toForwards, toMappings, sameHostSide } from '../../../src/rootless/ports.js';

describe('ports', () => {
  it('splits protocols and treats range 0 as 1', () => {
    const f = toForwards([{ host_ip: '', container_port: 53, host_port: 1053, range: 0, protocol: 'udp,tcp' }]);
    assert.deepEqual(f, [
      { proto: 'udp', hostIp: '', hostPort: 1053, containerPort: 53, range: 1 },
      { proto: 'tcp', hostIp: '', hostPort: 1053, containerPort: 53, range: 1 },
    ]);
    assert.deepEqual(toMappings(f)[0], { host_ip: '', container_port: 53, host_port: 1053, range: 1, protocol: 'udp' });
  });
  it('renders pasta specs', () => {
    assert.equal(pastaSpec({ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, range: 1 }), '8080:80');
    assert.equal(pastaSpec({ proto: 'tcp', hostIp: '', hostPort: 80, containerPort: 80, range: 1 }), '80:80');
    assert.equal(pastaSpec({ proto: 'udp', hostIp: '192.0.2.1', hostPort: 5000, containerPort: 6000, range: 2 }), '192.0.2.1/5000-5001:6000-6001');
  });
  it('expands ranges for slirp4netns and defaults the host address', () => {
    assert.deepEqual(slirpHostFwds([{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, range: 2 }]), [
      { proto: 'tcp', host_addr: '0.0.0.0', host_port: 8080, guest_port: 80 },
      { proto: 'tcp', host_addr: '0.0.0.0', host_port: 8081, guest_port: 81 },
    ]);
    assert.throws(() => slirpHostFwds([{ proto: 'tcp', hostIp: '::1', hostPort: 1, containerPort: 1, range: 1 }]), /IPv4 addresses only/);
  });
  it('compares forwards by protocol and host side', () => {
    const a = { proto: 'tcp' as const, host_addr: '0.0.0.0', host_port: 1, guest_port: 2 };
    assert.equal(sameHostSide(a, { ...a, guest_port: 3 }), true);
    assert.equal(sameHostSide(a, { ...a, proto: 'udp' }), false);
  });
});
