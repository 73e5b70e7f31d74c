// A throwaway DNS lab: one "host" namespace holding a bridge per network with
// the gateway addresses, plus container addresses on the same bridges so a
// query can be sent *from* a container address (`dig -b`, or the client tool
// with `src`). Everything lives in namespaces created here and is removed by
// name; the skiff-dns daemons are killed by the pid in their pid file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, uniq, SKIFF_DNS, type Netns, type RunResult } from '../../helpers/sandbox.js';

const TOOLS = join(dirname(fileURLToPath(import.meta.url)), 'tools');

export interface LabNetwork {
  bridge: string;
  /** gateway and container addresses, with prefix */
  cidrs: string[];
}

export class DnsLab {
  readonly host: Netns;
  readonly base: string;
  readonly dir: string;
  /** executable wrapper around the freshly built skiff-dns, usable as --aardvark-binary */
  readonly binary: string;
  private stubs: ChildProcess[] = [];
  private bridges = 0;

  constructor(prefix = 'skdns') {
    this.host = createNetns(prefix);
    this.base = `/run/${uniq('skiff-dns-lab-')}`;
    this.dir = join(this.base, 'aardvark-dns');
    mkdirSync(this.dir, { recursive: true });
    this.binary = join(this.base, 'dns-server');
    writeFileSync(this.binary, `#!/bin/sh\nexec ${process.execPath} ${SKIFF_DNS} "$@"\n`);
    chmodSync(this.binary, 0o755);
  }

  /** A bridge in the host namespace carrying these addresses (gateway first). */
  addBridge(cidrs: string[]): string {
    const name = `br${this.bridges++}`;
    this.host.sh('ip', ['link', 'add', name, 'type', 'bridge']);
    this.host.sh('ip', ['link', 'set', name, 'up']);
    for (const c of cidrs) this.host.sh('ip', ['addr', 'add', c, 'dev', name, ...(c.includes(':') ? ['nodad'] : [])]);
    return name;
  }

  write(file: string, content: string): void {
    writeFileSync(join(this.dir, file), content);
  }

  remove(file: string): void {
    rmSync(join(this.dir, file), { force: true });
  }

  /** `skiff-dns --config <dir> -p 53 run` inside the host namespace; returns when its parent exits. */
  start(env: NodeJS.ProcessEnv = {}): RunResult {
    return this.host.run(process.execPath, [SKIFF_DNS, '--config', this.dir, '-p', '53', 'run'], { env: { ...process.env, ...env } });
  }

  pid(): number | undefined {
    try {
      return Number(readFileSync(join(this.dir, 'aardvark.pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  /** Running: a zombie (exited, not yet reaped by init, which may take seconds here) counts as gone. */
  alive(pid = this.pid()): boolean {
    if (!pid) return false;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !'ZX'.includes(stat.charAt(stat.lastIndexOf(')') + 2));
    } catch {
      return false;
    }
  }

  /** SIGHUP and wait until the daemon reports it loaded what is on disk now. */
  async reload(): Promise<void> {
    const pid = this.pid();
    if (!pid) throw new Error('no daemon');
    const before = this.loaded();
    process.kill(pid, 'SIGHUP');
    for (let i = 0; i < 250; i++) {
      if (this.loaded() !== before || !this.alive(pid)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('daemon did not reload');
  }

  loaded(): string {
    try {
      return readFileSync(`${this.dir}.loaded`, 'utf8');
    } catch {
      return '';
    }
  }

  dig(args: string[]): string {
    const r = this.host.run('dig', ['+time=3', '+tries=1', ...args]);
    return r.stdout;
  }

  /** `dig +short` from a source address. */
  short(server: string, src: string, name: string, type = 'A', extra: string[] = []): string[] {
    return this.dig(['+short', '-b', src, `@${server}`, name, type, ...extra])
      .split('\n')
      .filter((l) => l !== '');
  }

  status(server: string, src: string, name: string, type = 'A'): string {
    const m = /status: ([A-Z]+)/.exec(this.dig(['-b', src, `@${server}`, name, type]));
    return m?.[1] ?? 'TIMEOUT';
  }

  /** Runs tools/client.js inside the host namespace. */
  client<T>(job: Record<string, unknown>): T {
    const r = this.host.run(process.execPath, [join(TOOLS, 'client.js'), JSON.stringify(job)], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`client ${String(job.mode)} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Runs src/dns-feed through tools/wiring-driver.js inside the host namespace. */
  wiring(op: Record<string, unknown>): { ok?: true; error?: string } {
    const r = this.host.run(process.execPath, [join(TOOLS, 'wiring-driver.js'), JSON.stringify(op)]);
    return JSON.parse(r.stdout || `{"error":${JSON.stringify(r.stderr)}}`) as { ok?: true; error?: string };
  }

  ctx(): Record<string, unknown> {
    return { configDir: this.base, dnsPort: 53, binary: this.binary, rootless: false };
  }

  /** Starts the stub upstream (tools/stub-upstream.js) for `listen=answer` pairs. */
  async stub(pairs: string[]): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.host.name, process.execPath, join(TOOLS, 'stub-upstream.js'), ...pairs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.stubs.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`stub exited ${code}`)));
    });
  }

  destroy(): void {
    const pid = this.pid();
    if (pid && this.alive(pid)) process.kill(pid, 'SIGKILL');
    for (const s of this.stubs) if (s.pid && s.exitCode === null) s.kill('SIGKILL');
    this.host.destroy();
    if (existsSync(this.base)) rmSync(this.base, { recursive: true, force: true });
    rmSync(`${this.dir}.loaded`, { force: true });
  }
}
