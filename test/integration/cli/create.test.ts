// `skiff create` through the bundled CLI: one JSON value on stdout, exit 0 with
// the network, exit 1 with {"error"}. Needs no root: create only reads input
// and the list of link names.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, SKIFF, run } from '../../helpers/sandbox.js';

function fixtureInput(name: string): string {
  const fx = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'create', `${name}.json`), 'utf8')) as { input: unknown };
  return JSON.stringify(fx.input);
}

describe('skiff create (CLI)', () => {
  it('prints the completed network as one JSON line', () => {
    const r = run(process.execPath, [SKIFF, 'create'], { input: fixtureInput('explicit-subnet') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    const n = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(n['subnets'], [{ subnet: '10.100.0.0/24', gateway: '10.100.0.1' }]);
    assert.match(String(n['network_interface']), /^podman\d+$/);
    assert.ok(!Number.isNaN(Date.parse(String(n['created']))));
  });
  it('reports the error podman matches on, exit 1', () => {
    const r = run(process.execPath, [SKIFF, 'create'], { input: fixtureInput('duplicate-name') });
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), { error: 'network already exists testnet1' });
  });
  it('names the field of a malformed input', () => {
    const r = run(process.execPath, [SKIFF, 'create'], { input: '{"network":{"name":"n"}}' });
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), { error: 'failed to load network create: network.id: missing field' });
  });
});
