// Podman 4.3.1 with network_backend = "cni" and a Skiff conflist: Podman runs
// libcni, libcni runs skiff-cni (and host-local) from cni_plugin_dirs. A
// published port is reached from the outside machine with the client address
// kept; `podman rm` leaves no veth, lease or forward behind; with `dnsAliases`
// the containers find each other by name (Podman's CNI backend sends the
// container name as K8S_POD_NAME) through the conflist's own resolv.conf.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LINK, PodmanHost, podmanSkip, waitFor } from '../../helpers/podman.js';
import { sh } from '../../helpers/sandbox.js';
import { SKIFF_CNI, REF_DIR } from '../../integration/cni/lib.js';
import { resolvConf, resolves } from '../lib.js';

const skip = podmanSkip();

describe('e2e: Podman CNI backend with skiff-cni', { skip }, () => {
  let ph: PodmanHost;
  let netconf: string;
  before(async () => {
    ph = await PodmanHost.start('ecni');
    netconf = join(ph.dir, 'cni-net.d');
    const bin = join(ph.dir, 'cni-bin');
    mkdirSync(netconf, { recursive: true });
    mkdirSync(bin, { recursive: true });
    symlinkSync(SKIFF_CNI, join(bin, 'skiff'));
    const conf = String(ph.env.CONTAINERS_CONF);
    writeFileSync(
      conf,
      readFileSync(conf, 'utf8')
        .replace('network_backend = "netavark"', `network_backend = "cni"\ncni_plugin_dirs = ["${bin}", "${REF_DIR}"]`)
        .replace(/^network_config_dir = .*$/m, `network_config_dir = "${netconf}"`),
    );
    // libcni keeps its result cache in /var/lib/cni: a tmpfs over /var/lib in Podman's mount namespace only
    sh('nsenter', ['-t', String(ph.holderPid), '--mount', 'mount', '-t', 'tmpfs', 'skiff-varlib', '/var/lib']);
    writeFileSync(
      join(netconf, 'skiffnet.conflist'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'skiffnet',
        plugins: [
          {
            type: 'skiff',
            bridge: 'cni-skiff0',
            isGateway: true,
            ipMasq: true,
            ipam: { type: 'host-local', ranges: [[{ subnet: '10.66.0.0/24', gateway: '10.66.0.1' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(ph.dir, 'ipam') },
            stateDir: join(ph.dir, 'skiff-cni'),
            dnsAliases: true,
            capabilities: { portMappings: true, aliases: true },
          },
        ],
      }),
    );
  });
  after(async () => {
    await ph?.destroy();
  });

  test('podman run -p on a skiff conflist: address, port from outside with the client address, clean rm', async () => {
    const nets = ph.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    assert.match(nets, /^skiffnet skiff$/m);
    ph.runDetached({ name: 'cweb', args: ['--network', 'skiffnet', '-p', '8088:80'], cmd: ['httpd', '-f', '-p', '80', '-h', '/www'] });
    const ip = ph.exec('cweb', 'ip -4 -o addr show eth0').stdout;
    assert.match(ip, /inet 10\.66\.0\.\d+\/24/);
    const who = await waitFor(() => {
      const r = ph.outside.run('timeout', ['5', 'busybox', 'wget', '-qO-', `http://${LINK.host4}:8088/cgi-bin/ip`]);
      return r.code === 0 ? r.stdout.trim() : undefined;
    });
    assert.equal(who?.replace(/^\[::ffff:(.*)\]$/, '$1'), LINK.outside4);
    const out = ph.exec('cweb', `timeout 5 wget -qO- http://${LINK.outside4}:1/ 2>&1; ping -c1 -W3 ${LINK.outside4} >/dev/null && echo reaches-outside`);
    assert.match(out.stdout, /reaches-outside/);

    ph.ok(['rm', '-f', '-t', '0', 'cweb']);
    const links = ph.host.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname);
    assert.ok(!links.some((l) => l.startsWith('veth')), `veths left: ${links.join(' ')}`);
    const leases = ph.inHost('ls', [join(ph.dir, 'ipam', 'skiffnet')]).stdout.split('\n').filter((f) => /^\d/.test(f));
    assert.deepEqual(leases, []);
    const dnat = ph.inHost('nft', ['list', 'map', 'inet', 'skiff', 'dnat_any_addr4']);
    assert.ok(dnat.code !== 0 || !dnat.stdout.includes('8088'), dnat.stdout);
  });

  test('dnsAliases: containers resolve each other by name through the gateway; podman rm takes the name away', async () => {
    ph.runDetached({ name: 'cdb', args: ['--network', 'skiffnet'], cmd: ['sleep', '600'] });
    ph.runDetached({ name: 'capp', args: ['--network', 'skiffnet'], cmd: ['sleep', '600'] });
    const dbIp = /inet (10\.66\.0\.\d+)\//.exec(ph.exec('cdb', 'ip -4 -o addr show eth0').stdout)?.[1];
    assert.ok(dbIp, 'cdb has an address');
    // the result's dns (the gateway) is what Podman writes into resolv.conf
    const rc = resolvConf(ph, 'capp');
    assert.equal(rc.nameservers[0], '10.66.0.1', rc.text);
    const found = await waitFor(() => {
      const a = resolves(ph, 'capp', 'cdb');
      return a.length > 0 ? a : undefined;
    });
    assert.deepEqual(found, [dbIp]);
    ph.ok(['rm', '-f', '-t', '0', 'cdb']);
    assert.deepEqual(await waitFor(() => (resolves(ph, 'capp', 'cdb').length === 0 ? [] : undefined)), []);
    assert.ok(resolves(ph, 'capp', 'capp').length > 0, 'the remaining container still resolves');
    ph.ok(['rm', '-f', '-t', '0', 'capp']);
  });
});
