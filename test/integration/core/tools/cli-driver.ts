// Test-only worker: runs the skiff CLI in-process, once per request line, so
// a property test can try hundreds of inputs without a Node start each. It is
// started inside the test's sandbox namespace (`ip netns exec`), never in the
// machine's. Request: {"argv": [...], "input": "...", "snapshot": "<dir>"}.
// Reply: {"code", "stdout", "stderr", "before", "after"}; before/after describe
// the namespace and the files under <dir> (links, addresses, nft ruleset,
// /run/sysctl.d, file names and contents), for "a failure changes nothing".
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Io } from '../../../../src/cli/io.js';

process.env.SKIFF_NO_MAIN = '1';
const { run } = await import('../../../../src/cli/main.js');

function files(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      const r = rel ? `${rel}/${n}` : n;
      try {
        if (statSync(p).isDirectory()) walk(p, r);
        else out[r] = createHash('sha1').update(readFileSync(p)).digest('hex').slice(0, 12);
      } catch {
        out[r] = '?';
      }
    }
  };
  walk(root, '');
  return out;
}

function tryExec(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function snapshot(dir: string | undefined): Record<string, unknown> | undefined {
  if (dir === undefined) return undefined;
  const links = (JSON.parse(tryExec('ip', ['-j', 'link', 'show']) || '[]') as { ifname: string }[]).map((l) => l.ifname).sort();
  const addrs = (JSON.parse(tryExec('ip', ['-j', 'addr', 'show']) || '[]') as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[])
    .flatMap((l) => l.addr_info.filter((a) => !a.local.startsWith('fe80')).map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`))
    .sort();
  return { links, addrs, nft: tryExec('nft', ['list', 'ruleset']), files: files(dir), sysctld: files('/run/sysctl.d') };
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const req = JSON.parse(line) as { argv: string[]; input: string; snapshot?: string; env?: Record<string, string> };
  const before = snapshot(req.snapshot);
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readInput: () => req.input };
  let code: number;
  try {
    code = await run(req.argv, io, { ...process.env, ...req.env });
  } catch (e) {
    // run() promises never to throw: report it as a failure of that promise
    code = -1;
    stderr += `run() threw: ${(e as Error).stack ?? String(e)}`;
  }
  const after = snapshot(req.snapshot);
  process.stdout.write(JSON.stringify({ code, stdout, stderr, before, after }) + '\n');
}
