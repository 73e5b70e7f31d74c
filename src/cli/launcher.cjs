'use strict';
// Start-up path of every `skiff` and `skiff-dns` process. Node parses and
// compiles a bundle from scratch on each start; a container engine starts
// skiff for every container, so the bundle is loaded through V8's code cache
// instead: one cache file per bundle and subcommand, written beside the
// bundle after the first run (atomically; a stale or foreign cache is simply
// rejected by V8 and rewritten). Where dist/ is not writable, nothing is cached.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

module.exports = function launch(bundle) {
  const sub = process.argv.slice(2).find((a) => !a.startsWith('-') && /^[a-z-]+$/.test(a)) || 'none';
  const cacheFile = `${bundle}.${sub}.v8cache`;
  const source = fs.readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // first run of this subcommand
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        try {
          fs.unlinkSync(tmp);
        } catch {
          // nothing was written
        }
      }
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = Module._nodeModulePaths(path.dirname(bundle));
  script.runInThisContext()(mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
};
