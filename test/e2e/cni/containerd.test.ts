// containerd 1.6 (Debian) with Skiff as its CNI plugin: `ctr run --cni` loads
// the first conflist in /etc/cni/net.d and plugins from /opt/cni/bin, so
// containerd-run.sh gives it private copies of both inside a sandbox node.
// The image is built here from busybox-static as an OCI archive. nsenter, not
// `ip netns exec`: the latter remounts /sys, which hides the cgroups runc needs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, needRoot, REPO, run, sh, type Netns } from '../../helpers/sandbox.js';
import { SKIFF_CNI } from '../../integration/cni/lib.js';

const skip =
  needRoot ||
  (['/usr/bin/containerd', '/usr/bin/ctr', '/usr/lib/cni/host-local', '/bin/busybox'].find((f) => !existsSync(f)) ?? false
    ? 'needs containerd, containernetworking-plugins and busybox-static'
    : false);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A one-layer OCI image archive: /bin/busybox and links for the applets the test uses. */
function buildImage(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  sh('cp', ['/bin/busybox', join(rootfs, 'bin', 'busybox')]);
  for (const a of ['sh', 'ip', 'ping', 'sleep', 'cat', 'echo', 'wget']) symlinkSync('busybox', join(rootfs, 'bin', a));
  const oci = join(dir, 'oci');
  mkdirSync(join(oci, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => {
    const d = sha(b);
    writeFileSync(join(oci, 'blobs', 'sha256', d), b);
    return { digest: `sha256:${d}`, size: b.length };
  };
  sh('tar', ['-C', rootfs, '-cf', join(dir, 'layer.tar'), '.']);
  const layer = readFileSync(join(dir, 'layer.tar'));
  const layerRef = put(layer);
  const config = put(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [layerRef.digest] } })),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerRef }],
      }),
    ),
  );
  writeFileSync(join(oci, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(oci, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': '1' } }],
    }),
  );
  const archive = join(dir, 'busybox-oci.tar');
  sh('tar', ['-C', oci, '-cf', archive, '.']);
  return archive;
}

describe('containerd: ctr run --cni with skiff', { skip }, () => {
  let node: Netns;
  let ext: Netns;
  let dir: string;
  before(() => {
    node = createNetns('ctrd');
    ext = createNetns('ctrx');
    node.sh('ip', ['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ext.name]);
    node.sh('ip', ['addr', 'add', '198.51.100.1/24', 'dev', 'uplink']);
    node.sh('ip', ['link', 'set', 'uplink', 'up']);
    ext.sh('ip', ['addr', 'add', '198.51.100.2/24', 'dev', 'eth0']);
    ext.sh('ip', ['link', 'set', 'eth0', 'up']);
    dir = `/run/skiff-ctrd/${node.name}`;
    mkdirSync(join(dir, 'net.d'), { recursive: true });
  });
  after(() => {
    node.destroy();
    ext.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two containers get addresses from host-local, reach each other and the outside host; nothing is left after --rm', () => {
    buildImage(dir);
    writeFileSync(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${dir}/containerd.sock"`,
        '[ttrpc]',
        `  address = "${dir}/containerd.sock.ttrpc"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${dir}/opt"`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'net.d', '10-skiff.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'skiffnet',
        plugins: [
          {
            type: 'skiff',
            bridge: 'skiff0',
            isGateway: true,
            ipMasq: true,
            ipam: { type: 'host-local', subnet: '10.99.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: `${dir}/ipam` },
            stateDir: `${dir}/skiff`,
          },
        ],
      }),
    );
    const r = run('nsenter', [`--net=${node.path}`, 'unshare', '--mount', '--propagation', 'private', join(REPO, 'test/e2e/cni/containerd-run.sh'), dir], {
      env: { ...process.env, SKIFF_CNI },
      timeoutMs: 120_000,
    });
    const log = () => `${r.stdout}\n${r.stderr}\n${existsSync(join(dir, 'containerd.log')) ? readFileSync(join(dir, 'containerd.log'), 'utf8').slice(-3000) : ''}`;
    assert.equal(r.code, 0, log());
    assert.match(r.stdout, /^c1 10\.99\.0\.\d+$/m, log());
    assert.match(r.stdout, /^c2 .*inet 10\.99\.0\.\d+\/24/m, log());
    assert.match(r.stdout, /^c2 c2-reaches-c1$/m, log());
    assert.match(r.stdout, /^c2 c2-reaches-outside$/m, log());
    assert.match(r.stdout, /^done$/m);
    // ctr's DEL comes without a netns; the veths, the bridge and the leases are gone
    const links = node.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname).sort();
    assert.deepEqual(links, ['lo', 'uplink']);
    const leases = run('ls', [join(dir, 'ipam', 'skiffnet')]).stdout.split('\n').filter((f) => /^\d/.test(f));
    assert.deepEqual(leases, []);
  });
});
