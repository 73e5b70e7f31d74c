// Bundles each entry point into one file so that a `skiff setup` loads one
// module instead of resolving hundreds: start-up is on every container's
// critical path. Native packages stay external (they load .node files).
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const entries = Object.fromEntries(
  Object.entries({ skiff: 'src/cli/main.ts', 'skiff-dns': 'dns/main.ts', skiffd: 'src/daemon/main.ts', 'skiff-cni': 'src/cni/main.ts' }).filter(([, f]) => existsSync(f)),
);

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  /* not a git checkout */
}

// While several people build the tree at once, SKIFF_STUB_MISSING=1 turns an
// import of a module nobody has written yet into one that throws when used.
const stubMissing = {
  name: 'stub-missing',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === 'stub') return undefined;
      const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'stub' });
      if (r.errors.length === 0) return undefined;
      return { path: args.path, namespace: 'stub' };
    });
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`module ${args.path} is not written yet`)});`,
      loader: 'js',
    }));
  },
};

rmSync(process.env.SKIFF_DIST_DIR ?? 'dist', { recursive: true, force: true });

const dist = process.env.SKIFF_DIST_DIR ?? 'dist';

// One CommonJS bundle per entry point (dist/lib/<name>.cjs) behind a tiny
// launcher (dist/<name>.cjs) that loads it through V8's code cache: see
// src/cli/launcher.cjs. CommonJS because vm.Script's code cache only serves
// scripts, and one file because every extra module costs a start-up.
await build({
  plugins: process.env.SKIFF_STUB_MISSING === '1' ? [stubMissing] : [],
  define: {
    __SKIFF_VERSION__: JSON.stringify(pkg.version),
    __SKIFF_COMMIT__: JSON.stringify(commit),
    __SKIFF_BUILD_TIME__: JSON.stringify(new Date().toISOString()),
    'import.meta.url': '__skiffImportMetaUrl',
  },
  entryPoints: entries,
  outdir: join(dist, 'lib'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // native code stays in node_modules; pino is required lazily by src/lib/log.ts on the first logged line,
  // the D-Bus client by firewall/firewalld.ts only where a system bus exists
  external: ['netlink', 'koffi', 'pino', '@jellybrick/dbus-next'],
  sourcemap: 'linked',
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: "const __skiffImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

copyFileSync('src/cli/launcher.cjs', join(dist, 'launcher.cjs'));
// skiffd's requests allocate short-lived objects in bursts, which grow V8's
// young generation for good: small semi-spaces keep its RSS ~30 MB lower at no
// measurable cost (skiff-dns gets the same flag from dns/spawn-server.ts).
// One malloc arena: each thread that allocates (the libuv pool running the
// off-thread link deletions, V8's helpers) otherwise keeps an arena of its own
// that malloc_trim cannot empty; idle after 300 containers 33 -> 25 MiB
// (bench/skiffd-rss.mjs). glibc reads it once, at start.
const shebang = (name) => (name === 'skiffd' ? '#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1' : '#!/usr/bin/env node');
/** A launcher script for bundle dist/lib/<bundle>.cjs (a first line of '' for none). */
const launcherText = (firstLine, bundle) =>
  `${firstLine}${firstLine ? '\n' : ''}'use strict';\nrequire('./launcher.cjs')(require('node:path').join(__dirname, 'lib', '${bundle}.cjs'));\n`;
for (const name of Object.keys(entries)) {
  const launcher = join(dist, `${name}.cjs`);
  writeFileSync(launcher, launcherText(shebang(name), name));
  // executables: the bin/ links point here, and skiff starts skiff-dns directly
  chmodSync(launcher, 0o755);
}
// skiffd's warm skiff-dns (src/daemon/dns-zygote.ts) loads the same bundle under a
// name of its own: while it waits it is not a DNS server, and `ps | grep skiff-dns`
// or aardvark-dns must not find it
if (entries['skiff-dns']) {
  writeFileSync(join(dist, 'dns-warm.cjs'), launcherText('', 'skiff-dns'));
}

// The build id ties the C client to the daemon it may use: a hash of every
// bundle, so any rebuild that changes code makes old daemons step aside.
const hash = createHash('sha256');
for (const name of [...Object.keys(entries).sort(), 'launcher']) {
  const file = name === 'launcher' ? join(dist, 'launcher.cjs') : join(dist, 'lib', `${name}.cjs`);
  hash.update(readFileSync(file));
}
const buildId = hash.digest('hex').slice(0, 16);
writeFileSync(join(dist, 'build-id'), `${buildId}\n`);

// skiff-client (src/client/client.c): the native front of skiffd. Built with
// the system compiler when there is one; without it, bin/skiff-client is
// missing and everything runs through the Node launchers as before.
// Linked statically where libc.a is there (libc6-dev): the client runs twice
// per container, and without the dynamic loader's work it starts 0.27 ms
// sooner with 600 instead of 1 350 KiB peak RSS (measured here); it uses
// nothing of libc that needs NSS or dlopen.
const cc = process.env.CC ?? 'cc';
const client = join(dist, 'skiff-client');
const compile = (extra) =>
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', ...extra, `-DSKIFF_BUILD_ID="${buildId}"`, '-o', `${client}.tmp`, 'src/client/client.c'], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
try {
  try {
    compile(['-static']);
  } catch {
    compile([]);
  }
  renameSync(`${client}.tmp`, client);
} catch (e) {
  console.warn(`build: skiff-client not built (${cc}: ${e.message.split('\n')[0]}); install gcc and libc6-dev`);
}

// dist/netavark and dist/skiff, what bin/netavark (Podman's helper_binaries_dir)
// and bin/skiff point to: the client under those names (hard links, so
// `readlink -f` and `ps` keep the name, and as `netavark` the client speaks as
// netavark), or without a compiler the Node CLI under those names, as before
for (const name of ['netavark', 'skiff']) {
  const path = join(dist, name);
  if (existsSync(client)) linkSync(client, path);
  else {
    writeFileSync(path, launcherText(shebang('skiff'), 'skiff'));
    chmodSync(path, 0o755);
  }
}
