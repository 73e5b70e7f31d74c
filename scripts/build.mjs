// Bundles each entry point into one file so that a `skiff setup` loads one
// module instead of resolving hundreds: start-up is on every container's
// critical path. Native packages stay external (they load .node files).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = Object.fromEntries(
  Object.entries({ skiff: 'src/cli/main.ts', 'skiff-dns': 'dns/main.ts' }).filter(([, f]) => existsSync(f)),
);

await build({
  entryPoints: entries,
  outdir: process.env.SKIFF_DIST_DIR ?? 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['netlink', 'koffi'],
  sourcemap: 'linked',
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  // esbuild's ESM output needs `require` for the CommonJS packages it inlines.
  banner: { js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);" },
});
