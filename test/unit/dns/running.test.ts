import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverRunning } from '../../../dns/running.js';

test('serverRunning: the pid file names a live process whose --config is the dir; anything else is no server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-running-'));
  const other = mkdtempSync(join(tmpdir(), 'skiff-running-'));
  // a stand-in server: its command line carries `--config DIR` (`; :` keeps bash from exec'ing sleep)
  const child = spawn('bash', ['-c', 'sleep 30; :', '--config', dir], { stdio: 'ignore' });
  try {
    assert.equal(serverRunning(dir), false, 'no pid file');
    writeFileSync(join(dir, 'aardvark.pid'), 'garbage');
    assert.equal(serverRunning(dir), false, 'no pid in it');
    writeFileSync(join(dir, 'aardvark.pid'), String(process.pid));
    assert.equal(serverRunning(dir), false, 'a live process that serves no dir');
    writeFileSync(join(dir, 'aardvark.pid'), `${child.pid}\n`);
    assert.equal(serverRunning(dir), true);
    writeFileSync(join(other, 'aardvark.pid'), String(child.pid));
    assert.equal(serverRunning(other), false, 'a process serving another dir');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(serverRunning(dir), false, 'exited');
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
