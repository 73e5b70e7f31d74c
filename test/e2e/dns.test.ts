// Name resolution between containers through the backend's DNS server:
// names, aliases, short ids, PTR, scoping per network, connect/disconnect at
// runtime and containers on two networks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eBackend, PodmanHost, podmanSkip } from '../helpers/podman.js';
import { ctrLinks, ctrV4, expectResolves, reverse } from './lib.js';

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

  test('by name, with and without the dns.podman suffix', async () => {
    await expectResolves(ph, 'cli', 'web', [web]);
    await expectResolves(ph, 'cli', 'web.dns.podman', [web]);
    const p = ph.exec('cli', 'ping -c1 -W2 web');
    assert.equal(p.code, 0, p.stdout + p.stderr);
  });

  test('by --network-alias', async () => {
    await expectResolves(ph, 'cli', 'www', [web]);
  });

  test('by short id (12 hex digits)', async () => {
    await expectResolves(ph, 'cli', webId.slice(0, 12), [web]);
  });

  test('PTR of a container address names the container', () => {
    const names = reverse(ph, 'cli', web);
    assert.ok(
      names.some((n) => n === 'web' || n.startsWith('web.')),
      `PTR ${web} -> ${JSON.stringify(names)}`,
    );
  });

  test('a container on another network cannot resolve them', async () => {
    await expectResolves(ph, 'other', 'web', []);
    await expectResolves(ph, 'other', 'www', []);
    await expectResolves(ph, 'cli', 'other', []);
  });

  test('a container on another network cannot reach them (bridges are isolated by default)', {
    skip: e2eBackend() === 'reference' ? 'netavark 1.4 routes between bridge networks unless isolate=true' : false,
  }, () => {
    assert.notEqual(ph.exec('other', `ping -c1 -W1 ${web}`).code, 0, 'other -> web across networks');
    assert.notEqual(ph.exec('cli', `ping -c1 -W1 ${ctrV4(ph, 'other')}`).code, 0, 'cli -> other across networks');
  });

  test('network connect / disconnect at runtime', async () => {
    ph.ok(['network', 'connect', 'dnsb', 'web']);
    assert.deepEqual(ctrLinks(ph, 'web').sort(), ['eth0', 'eth1']);
    const webB = ctrV4(ph, 'web', 'eth1');
    assert.match(webB, /^10\.82\.0\./);
    await expectResolves(ph, 'other', 'web', [webB]);
    assert.equal(ph.exec('other', `ping -c1 -W2 ${webB}`).code, 0);
    ph.ok(['network', 'disconnect', 'dnsb', 'web']);
    assert.deepEqual(ctrLinks(ph, 'web'), ['eth0']);
    await expectResolves(ph, 'other', 'web', []);
    await expectResolves(ph, 'cli', 'web', [web], { msg: 'still resolvable on its first network' });
  });

  test('--network a,b: two interfaces, reachable by name from both networks', async () => {
    ph.runDetached({ name: 'both', args: ['--network', 'dnsa,dnsb'] });
    assert.deepEqual(ctrLinks(ph, 'both').sort(), ['eth0', 'eth1']);
    const a = ctrV4(ph, 'both', 'eth0');
    const b = ctrV4(ph, 'both', 'eth1');
    assert.deepEqual(new Set([a.split('.')[1], b.split('.')[1]]), new Set(['81', '82']));
    // each network's peers get the address on their own network only
    const onA = [a, b].find((ip) => ip.startsWith('10.81.'))!;
    const onB = [a, b].find((ip) => ip.startsWith('10.82.'))!;
    await expectResolves(ph, 'cli', 'both', [onA]);
    await expectResolves(ph, 'other', 'both', [onB]);
    // and it resolves peers on both of its networks
    await expectResolves(ph, 'both', 'web', [web]);
    await expectResolves(ph, 'both', 'other', [ctrV4(ph, 'other')]);
  });
});
