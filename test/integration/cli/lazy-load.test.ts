// What a Podman call loads: a rootful `setup`/`teardown --rootless true` must
// load only the CAP_NET_ADMIN check of the rootless netns feature, never the
// code that enters the shared namespace (it would cost every container start).
// Observed with a module-load hook in a real `node` process running main.js.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const isRoot = process.getuid?.() === 0;

function loadedModules(argv: string[], env: NodeJS.ProcessEnv = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-lazy-'));
  try {
    const log = join(dir, 'loaded.txt');
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), MAIN, ...argv], {
      input: '{}',
      encoding: 'utf8',
      env: { ...process.env, ...env, SKIFF_NO_MAIN: '' },
      timeout: 30_000,
    });
    assert.equal(r.error, undefined);
    return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lazy loading in the CLI', () => {
  it('with CAP_NET_ADMIN, --rootless true loads caps.js and not enter.js', { skip: isRoot ? false : 'needs CAP_NET_ADMIN (root)' }, () => {
    const loaded = loadedModules(['--config', tmpdir(), '--rootless', 'true', 'teardown', '/nonexistent/netns']);
    assert.ok(loaded.some((u) => u.endsWith('/rootless/netns/caps.js')), 'the capability check is loaded');
    assert.ok(!loaded.some((u) => u.endsWith('/rootless/netns/enter.js')), 'entering code is not loaded');
  });

  it('version loads neither the setup orchestration nor the rootless netns code', () => {
    const loaded = loadedModules(['version']);
    assert.ok(loaded.some((u) => u.endsWith('/cli/main.js')));
    for (const m of ['/core/setup.js', '/rootless/netns/caps.js', '/rootless/netns/enter.js']) {
      assert.ok(!loaded.some((u) => u.endsWith(m)), `${m} is not loaded by version`);
    }
  });
});
