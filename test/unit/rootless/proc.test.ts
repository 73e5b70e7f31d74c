import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isOurs, parseProcStat, readProcStat, stopHelper } from '../../../src/rootless/proc.js';

describe('proc', () => {
  it('parses /proc/PID/stat with odd command names', () => {
    const tail = ' S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 98765 20 21';
    assert.deepEqual(parseProcStat(`123 (pasta) ${tail.trim()}`), { state: 'S', starttime: '98765' });
    assert.deepEqual(parseProcStat(`123 (a) b (c)) ${tail.trim()}`), { state: 'S', starttime: '98765' });
    assert.equal(parseProcStat('garbage'), undefined);
  });
  it('stops a process it recorded, and only that one', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    const st = readProcStat(pid)!;
    assert.equal(isOurs(pid, st.starttime), true);
    assert.equal(isOurs(pid, st.starttime + '1'), false, 'a different start time is a different process');
    assert.equal(await stopHelper(pid, st.starttime + '1'), false, 'never signals a reused pid');
    const exited = new Promise((r) => child.on('exit', r));
    assert.equal(await stopHelper(pid, st.starttime), true);
    await exited;
    assert.equal(await stopHelper(pid, st.starttime), false, 'already gone is success');
  });
});
