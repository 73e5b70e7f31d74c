// The CLI, loaded from its own bundle (dist/lib/skiff.cjs) rather than
// imported: skiffd wraps whatever `skiff` is, so commands added to the CLI
// need no change here. The bundle is evaluated once and that instance serves
// every request: its lazily initialised modules (zod schemas, commander,
// firewall and netlink code) stay warm, which is most of a request's CPU time
// when evaluated afresh. The CLI's run() resets the little module state that
// depends on the caller (src/cli/main.ts); log levels follow each request's
// environment (src/lib/log.ts); test/integration/daemon/isolation.test.ts
// checks that requests behave like separate processes.
// SKIFF_DAEMON_CLI=fresh (in skiffd's environment) evaluates the bundle
// afresh for every request instead (~5 ms more a request): a way to tell a
// suspected state leak from a bug.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

export interface Cli {
  run(argv: string[]): Promise<number>;
}

export interface CliBundle {
  /** the path a fresh `skiff` process would have as process.argv[1] */
  launcher: string;
  /** the CLI instance for the next request */
  instance(): Cli;
  /** drops the instance (e.g. after a request failed outside run()); the next one is evaluated afresh */
  discard(): void;
}

interface ModuleInternals {
  _nodeModulePaths(dir: string): string[];
  wrap(source: string): string;
}

export function distDir(): string {
  // this file is bundled into dist/lib/skiffd.cjs
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

export function loadCliBundle(dist = distDir(), mode: 'reuse' | 'fresh' = process.env.SKIFF_DAEMON_CLI === 'fresh' ? 'fresh' : 'reuse'): CliBundle {
  const bundle = join(dist, 'lib', 'skiff.cjs');
  const M = Module as unknown as typeof Module & ModuleInternals;
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const script = new Script(M.wrap(source), { filename: bundle });
  let current: Cli | undefined;
  return {
    launcher: join(dist, 'skiff.cjs'),
    instance() {
      if (mode === 'fresh' || current === undefined) current = evaluate();
      return current;
    },
    discard() {
      current = undefined;
    },
  };

  function evaluate(): Cli {
    const mod = new Module(bundle);
    mod.filename = bundle;
    mod.paths = M._nodeModulePaths(dirname(bundle));
    const saved = process.env.SKIFF_NO_MAIN;
    process.env.SKIFF_NO_MAIN = '1'; // load the CLI without running it on our own argv
    try {
      const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
      wrapper(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
    } finally {
      if (saved === undefined) delete process.env.SKIFF_NO_MAIN;
      else process.env.SKIFF_NO_MAIN = saved;
    }
    const cli = mod.exports as Partial<Cli>;
    if (typeof cli.run !== 'function') throw new Error(`${bundle} does not export run()`);
    return cli as Cli;
  }
}
