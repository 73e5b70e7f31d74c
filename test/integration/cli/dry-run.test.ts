// `skiff setup --dry-run` prints the whole plan and changes nothing: it needs
// no root, no namespace and no nft.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, run, SKIFF } from '../../helpers/sandbox.js';

const sample = readFileSync(join(REPO, 'test/fixtures/setup/podman-4.3.1-web-dualstack-port.json'), 'utf8');

test('setup --dry-run: plans and nftables batches for the Podman sample, nothing applied', () => {
  const r = run(process.execPath, [SKIFF, '--aardvark-binary', '/nonexistent/dns', 'setup', '--dry-run', '/nonexistent/netns'], { input: sample });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { dry_run: boolean; networks: Record<string, unknown>[]; firewall: { what: string; batch: unknown }[] };
  assert.equal(out.dry_run, true);
  assert.equal(out.networks[0]!['network'], 'mynet');
  assert.deepEqual(out.networks[0]!['containerAddrs'], ['10.77.0.2/24', 'fd51:68a3:195b:ecd1::2/64']);
  assert.ok(out.firewall.length >= 2, 'a network batch and a ports batch');
  assert.match(JSON.stringify(out.firewall), /18080/, 'the published port is in a batch');
});

test('setup --dry-run with --firewall-driver none: no batches', () => {
  const r = run(process.execPath, [SKIFF, '--firewall-driver', 'none', 'setup', '--dry-run', '/nonexistent/netns'], { input: sample });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { firewall: unknown[] }).firewall, []);
});

test('setup --dry-run still validates the input', () => {
  const r = run(process.execPath, [SKIFF, 'setup', '--dry-run', '/nonexistent/netns'], { input: sample.replace('10.77.0.2', '10.99.0.2') });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /not in any subnet of network mynet/);
});
