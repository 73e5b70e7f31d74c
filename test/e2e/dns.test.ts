// Name resolution between containers through the backend's DNS server:
// names, aliases, short ids, PTR, scoping per network, connect/disconnect at
// runtime and containers on two networks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PodmanHost, podmanSkip } from '../helpers/podman.js';
import { ctrLinks, ctrV4, resolves, reverse } from './lib.js';

const skip = podmanSkip();

describe('e2e: container DNS', { skip }, () => {
  let ph: PodmanHost;
  let web = '';
  let webId = '';
  before(async () => {
    ph = await PodmanHost.start('edns');
    ph.ok(['network', 'create', '--subnet', '10.81.0.0/24', 'dnsa']);
    ph.ok(['network', 'create', '--subnet', '10.82.0.0/24', 'dnsb']);
    webId = ph.runDetached({ name: 'web', args: ['--network', 'dnsa', '--network-alias', 'www'] });
    ph.runDetached({ name: 'cli', args: ['--network', 'dnsa'] });
    ph.runDetached({ name: 'other', args: ['--network', 'dnsb'] });
    web = ctrV4(ph, 'web');
  });
  after(async () => {
    await ph?.destroy();
  });

  test('by name, with and without the dns.podman suffix', () => {
    assert.deepEqual(resolves(ph, 'cli', 'web'), [web]);
    assert.deepEqual(resolves(ph, 'cli', 'web.dns.podman'), [web]);
    const p = ph.exec('cli', 'ping -c1 -W2 web');
    assert.equal(p.code, 0, p.stdout + p.stderr);
  });

  test('by --network-alias', () => {
    assert.deepEqual(resolves(ph, 'cli', 'www'), [web]);
  });

  test('by short id (12 hex digits)', () => {
    assert.deepEqual(resolves(ph, 'cli', webId.slice(0, 12)), [web]);
  });

  test('PTR of a container address names the container', () => {
    const names = reverse(ph, 'cli', web);
    assert.ok(
      names.some((n) => n === 'web' || n.startsWith('web.')),
      `PTR ${web} -> ${JSON.stringify(names)}`,
    );
  });

  test('a container on another network cannot resolve them', () => {
    assert.deepEqual(resolves(ph, 'other', 'web'), []);
    assert.deepEqual(resolves(ph, 'other', 'www'), []);
    assert.deepEqual(resolves(ph, 'cli', 'other'), []);
  });

  test('network connect / disconnect at runtime', () => {
    ph.ok(['network', 'connect', 'dnsb', 'web']);
    assert.deepEqual(ctrLinks(ph, 'web').sort(), ['eth0', 'eth1']);
    const webB = ctrV4(ph, 'web', 'eth1');
    assert.match(webB, /^10\.82\.0\./);
    assert.deepEqual(resolves(ph, 'other', 'web'), [webB]);
    assert.equal(ph.exec('other', `ping -c1 -W2 ${webB}`).code, 0);
    ph.ok(['network', 'disconnect', 'dnsb', 'web']);
    assert.deepEqual(ctrLinks(ph, 'web'), ['eth0']);
    assert.deepEqual(resolves(ph, 'other', 'web'), []);
    assert.deepEqual(resolves(ph, 'cli', 'web'), [web], 'still resolvable on its first network');
  });

  test('--network a,b: two interfaces, reachable by name from both networks', () => {
    ph.runDetached({ name: 'both', args: ['--network', 'dnsa,dnsb'] });
    assert.deepEqual(ctrLinks(ph, 'both').sort(), ['eth0', 'eth1']);
    const a = ctrV4(ph, 'both', 'eth0');
    const b = ctrV4(ph, 'both', 'eth1');
    assert.deepEqual(new Set([a.split('.')[1], b.split('.')[1]]), new Set(['81', '82']));
    const fromA = resolves(ph, 'cli', 'both');
    const fromB = resolves(ph, 'other', 'both');
    assert.ok(fromA.length > 0 && fromA.every((ip) => ip.startsWith('10.81.')), JSON.stringify(fromA));
    assert.ok(fromB.length > 0 && fromB.every((ip) => ip.startsWith('10.82.')), JSON.stringify(fromB));
    // and it resolves peers on both of its networks
    assert.deepEqual(resolves(ph, 'both', 'web'), [web]);
    assert.deepEqual(resolves(ph, 'both', 'other'), [ctrV4(ph, 'other')]);
  });
});
