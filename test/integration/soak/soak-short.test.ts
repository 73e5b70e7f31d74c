// The short version of bench/soak.ts for CI: 30 containers, 10 at a time, on
// 3 DNS networks with a published port each, every 10th setup or teardown
// killed with SIGKILL and followed by the engine's teardown. Asserts what the
// script asserts (every name resolved, no failed call, nothing left); the
// timings it prints are not asserted. The full run and its figures:
// docs/reliability.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needRoot } from '../../helpers/sandbox.js';

// build/test/integration/soak -> build/bench/soak.js (same tsc output)
const SOAK = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'soak.js');
const skip = needRoot || (process.env.SKIFF_IN_SANDBOX !== '1' ? 'must run inside scripts/in-sandbox.sh' : false);

test('soak (short): 30 containers with kills, nothing left, every name resolved', { skip }, () => {
  const r = spawnSync(process.execPath, [SOAK, '--containers', '30', '--parallel', '10', '--kill-every', '10'], {
    encoding: 'utf8',
    timeout: 280_000,
  });
  assert.equal(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /OK: nothing left/);
});
