// The CLI, loaded from its own bundle (dist/lib/skiff.cjs) rather than
// imported: skiffd wraps whatever `skiff` is, so commands added to the CLI
// need no change here. The bundle is compiled once and evaluated afresh for
// every request (about 1 ms): each request gets new module state (log level,
// caches, loaded bindings), exactly as a fresh `skiff` process would. Native
// modules (koffi, netlink) stay loaded in between through require's cache.
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
  fresh(): Cli;
}

interface ModuleInternals {
  _nodeModulePaths(dir: string): string[];
  wrap(source: string): string;
}

export function distDir(): string {
  // this file is bundled into dist/lib/skiffd.cjs
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

export function loadCliBundle(dist = distDir()): CliBundle {
  const bundle = join(dist, 'lib', 'skiff.cjs');
  const M = Module as unknown as typeof Module & ModuleInternals;
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const script = new Script(M.wrap(source), { filename: bundle });
  return {
    launcher: join(dist, 'skiff.cjs'),
    fresh() {
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
    },
  };
}
