// The registry is the one place a driver name means something: every name
// resolves to a complete implementation of the driver interface, plugins
// included, and an unknown name is netavark's error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_DRIVERS, driverFor, isBuiltinDriver } from '../../../src/drivers/registry.js';
import type { Driver } from '../../../src/drivers/driver.js';
import { SkiffError } from '../../../src/lib/errors.js';

// every method of the interface: a new one must be added here (and to every driver)
const METHODS: readonly (keyof Driver)[] = ['create', 'plan', 'setup', 'teardown'];

function assertComplete(name: string, d: Driver): void {
  for (const m of METHODS) assert.equal(typeof d[m], 'function', `driver ${name} implements ${m}`);
}

describe('driver registry', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-registry-'));
    writeFileSync(join(dir, 'myplugin'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'myplugin'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('knows the built-in drivers', () => {
    assert.deepEqual([...BUILTIN_DRIVERS], ['bridge', 'macvlan', 'ipvlan']);
    for (const name of BUILTIN_DRIVERS) assert.ok(isBuiltinDriver(name));
    for (const name of ['plugin', 'myplugin', '', 'toString', '__proto__']) assert.ok(!isBuiltinDriver(name), name);
  });

  it('resolves every built-in name to an implementation with all methods', async () => {
    for (const name of BUILTIN_DRIVERS) assertComplete(name, await driverFor(name, []));
  });

  it('resolves a plugin in --plugin-directory to an implementation with all methods', async () => {
    assertComplete('myplugin', await driverFor('myplugin', [dir]));
  });

  it('refuses a name that is neither built in nor a plugin, with netavark\'s text', async () => {
    for (const name of ['nosuch', 'toString', '__proto__']) {
      await assert.rejects(driverFor(name, [dir]), (e: unknown) => {
        assert.ok(e instanceof SkiffError);
        assert.equal(e.message, `unknown network driver ${JSON.stringify(name)}`);
        return true;
      });
    }
  });
});
