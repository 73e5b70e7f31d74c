import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadedFilePath, serializeLoaded } from '../../../schemas/aardvark-config.js';
import { ConfigDir } from '../../../dns/config-dir.js';
import { dirDigest, putFile } from '../../../src/dns-feed/files.js';
import { servesDir, startCommand, waitLoaded } from '../../../src/dns-feed/process.js';

function scratch(): { base: string; dir: string; done: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'skiff-aardvark-'));
  const dir = join(base, 'aardvark-dns');
  return { base, dir, done: () => rmSync(base, { recursive: true, force: true }) };
}

test('the CLI and the server compute the same digest of a config dir', () => {
  const s = scratch();
  try {
    mkdirSync(s.dir, { recursive: true });
    putFile(s.dir, 'net1', '10.0.0.1\nc 10.0.0.2  c\n');
    putFile(s.dir, 'net2%int', '10.1.0.1\n');
    putFile(s.dir, 'gone', undefined); // removing a missing file is fine
    writeFileSync(join(s.dir, 'aardvark.pid'), '123');
    assert.equal(dirDigest(s.dir), new ConfigDir(s.dir).load().digest);
    const before = dirDigest(s.dir);
    putFile(s.dir, 'net1', '10.0.0.1\nc 10.0.0.2  c\nd 10.0.0.3  d\n');
    assert.notEqual(dirDigest(s.dir), before);
    assert.equal(dirDigest(s.dir), new ConfigDir(s.dir).load().digest);
  } finally {
    s.done();
  }
});

test('waitLoaded: ok on the expected digest, ok at once for a server that never confirms, timeout otherwise', async () => {
  const s = scratch();
  try {
    mkdirSync(s.dir, { recursive: true });
    const path = loadedFilePath(s.dir);
    assert.equal(await waitLoaded(s.dir, process.pid, 'abc', 1000), 'ok', 'no loaded file: stock aardvark-dns');
    writeFileSync(path, serializeLoaded(process.pid, 'abc'));
    assert.equal(await waitLoaded(s.dir, process.pid, 'abc', 1000), 'ok');
    assert.equal(await waitLoaded(s.dir, process.pid, 'def', 50), 'timeout');
    writeFileSync(path, serializeLoaded(process.pid + 100000, 'abc'));
    assert.equal(await waitLoaded(s.dir, process.pid, 'def', 50), 'ok', 'file from another (older) server');
    setTimeout(() => writeFileSync(path, serializeLoaded(process.pid, 'de0f')), 30);
    writeFileSync(path, serializeLoaded(process.pid, 'a0'));
    assert.equal(await waitLoaded(s.dir, process.pid, 'de0f', 2000), 'ok', 'confirmed after a while');
  } finally {
    s.done();
  }
});

test('start command: plain, or under a systemd scope (--user when rootless)', () => {
  assert.deepEqual(startCommand('/b/aardvark-dns', '/c/aardvark-dns', 53, false, false), ['/b/aardvark-dns', ['--config', '/c/aardvark-dns', '-p', '53', 'run']]);
  assert.deepEqual(startCommand('/b/a', '/c', 53, true, true), ['systemd-run', ['-q', '--scope', '--user', '/b/a', '--config', '/c', '-p', '53', 'run']]);
});

test('servesDir: only a process started with --config <dir> is signalled', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)', '--', '--config', '/run/x/aardvark-dns'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  try {
    assert.equal(servesDir(child.pid!, '/run/x/aardvark-dns'), true);
    assert.equal(servesDir(child.pid!, '/run/x/aardvark-dns/'), true);
    assert.equal(servesDir(child.pid!, '/run/y/aardvark-dns'), false);
    assert.equal(servesDir(process.pid, '/run/x/aardvark-dns'), false, 'an unrelated process (stale pid file)');
  } finally {
    child.kill();
  }
});

test('servesDir: a server with a one-string title (started from a warm skiff-dns) is recognized too', async () => {
  const { spawn } = await import('node:child_process');
  const title = 'node --max-semi-space-size=1 /b/aardvark-dns --config /run/x/aardvark-dns -p 53 run';
  const child = spawn(process.execPath, ['-e', `process.title = ${JSON.stringify(title)}; process.send('t'); setTimeout(() => {}, 10000)`, '--', 'x'.repeat(200)], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  try {
    assert.equal(servesDir(child.pid!, '/run/x/aardvark-dns'), true);
    assert.equal(servesDir(child.pid!, '/run/x'), false);
  } finally {
    child.kill();
  }
});
