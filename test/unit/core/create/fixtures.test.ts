// Table test over test/fixtures/create/*.json: each file is one scenario with
// the create input and either the expected network or the expected error.
// The clock and randomness are fixed so that outputs are exact.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../../helpers/sandbox.js';
import { runCreate } from '../../../../src/cli/commands/create.js';
import type { CreateDeps } from '../../../../src/network/request.js';

const DIR = join(REPO, 'test', 'fixtures', 'create');

interface Fixture {
  description?: string;
  input: unknown;
  /** absent: lo, eth0, podman0; null: sysfs unreadable */
  host_interfaces?: string[] | null;
  expect?: unknown;
  error?: string;
  error_prefix?: string;
}

/** Call k returns bytes (0x11*(i+1) + k) & 0xff: fd11:2233:4455:6677::/64 first, fd12:2334:... next. */
export function fixedDeps(host: string[] | null | undefined): CreateDeps {
  let calls = 0;
  return {
    now: () => new Date('2026-01-02T03:04:05.000Z'),
    random: (n) => {
      const k = calls++;
      return Uint8Array.from({ length: n }, (_, i) => (0x11 * (i + 1) + k) & 0xff);
    },
    hostInterfaces: () => (host === null ? undefined : (host ?? ['lo', 'eth0', 'podman0'])),
  };
}

describe('create fixtures', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  it('has fixtures', () => assert.ok(files.length > 50));
  for (const file of files) {
    const fx = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Fixture;
    it(`${file.replace(/\.json$/, '')}${fx.description ? `: ${fx.description}` : ''}`, async () => {
      const run = runCreate(JSON.stringify(fx.input), { deps: fixedDeps(fx.host_interfaces) });
      if (fx.expect !== undefined) {
        assert.deepEqual(await run, fx.expect);
      } else {
        await assert.rejects(run, (e: Error) => {
          if (fx.error !== undefined) assert.equal(e.message, fx.error);
          else assert.ok(e.message.startsWith(fx.error_prefix ?? '\0'), e.message);
          return true;
        });
      }
    });
  }
});
