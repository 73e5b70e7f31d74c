// Start-up cost of the netlink facade, as `skiff setup` pays it once per
// container: import, host socket, container namespace socket, first request.
// Each sample is a fresh node process. Needs root (creates a throwaway netns);
// run it through scripts/in-sandbox.sh:
//   scripts/in-sandbox.sh node build/bench/netlink-startup.js [samples]
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

async function probe(nsPath: string): Promise<Record<string, number>> {
  const t: number[] = [performance.now()];
  const { openNetlink } = await import('../src/netlink/rtnl.js');
  const { openNetns, openNetlinkIn } = await import('../src/netlink/netns.js');
  t.push(performance.now());
  const host = await openNetlink();
  t.push(performance.now());
  await host.getLink('lo');
  t.push(performance.now());
  const ns = openNetns(nsPath);
  const ctr = await openNetlinkIn(ns);
  t.push(performance.now());
  await ctr.links();
  t.push(performance.now());
  host.close();
  ctr.close();
  ns.close();
  const d = (i: number): number => t[i]! - t[i - 1]!;
  return { import: d(1), openNetlink: d(2), firstRequest: d(3), openNetlinkIn: d(4), linksDump: d(5), total: t[5]! - t[0]! };
}

function probePackage(): Record<string, number> {
  const require = createRequire(import.meta.url);
  const t0 = performance.now();
  require('netlink');
  const t1 = performance.now();
  require('koffi');
  return { requireWholeNetlinkPackage: t1 - t0, requireKoffi: performance.now() - t1 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

if (process.argv[2] === '--probe') {
  console.log(JSON.stringify(await probe(process.argv[3]!)));
} else if (process.argv[2] === '--probe-package') {
  console.log(JSON.stringify(probePackage()));
} else {
  const samples = Number(process.argv[2] ?? 15);
  const name = `skbench${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  try {
    const runs: Record<string, number>[] = [];
    for (let i = 0; i < samples; i++) {
      for (const mode of [['--probe', `/run/netns/${name}`], ['--probe-package']]) {
        const r = spawnSync(process.execPath, [self, ...mode], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
        runs.push(JSON.parse(r.stdout) as Record<string, number>);
      }
    }
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
    for (const k of keys) {
      const xs = runs.map((r) => r[k]).filter((x): x is number => x !== undefined);
      console.log(`${k.padEnd(28)} median ${median(xs).toFixed(2)} ms  (min ${Math.min(...xs).toFixed(2)}, n=${xs.length})`);
    }
  } finally {
    execFileSync('ip', ['netns', 'delete', name]);
  }
}
