// Reads a config dir into parsed network files. One bad file is reported and,
// when an earlier version of it parsed, that version keeps serving: a typo
// written by hand must not take a whole network's DNS down.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDigest, isConfigFileName, parseNetworkConfig, type NetworkConfig } from '../schemas/aardvark-config.js';

export interface LoadedDir {
  configs: NetworkConfig[];
  /** one message per file that could not be used */
  errors: string[];
  /** digest of the bytes read (schemas/aardvark-config.ts configDigest) */
  digest: string;
}

export class ConfigDir {
  private lastGood = new Map<string, NetworkConfig>();

  constructor(readonly path: string) {}

  /** Throws only when the directory itself cannot be read. */
  load(): LoadedDir {
    const names = readdirSync(this.path).filter(isConfigFileName).sort();
    const files: { name: string; content: string }[] = [];
    const configs: NetworkConfig[] = [];
    const errors: string[] = [];
    const good = new Map<string, NetworkConfig>();
    for (const name of names) {
      let content: string;
      try {
        content = readFileSync(join(this.path, name), 'utf8');
      } catch (e) {
        // removed between readdir and read: it is simply gone
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(`${name}: ${(e as Error).message}`);
        continue;
      }
      files.push({ name, content });
      try {
        const cfg = parseNetworkConfig(name, content);
        good.set(name, cfg);
        configs.push(cfg);
      } catch (e) {
        const prev = this.lastGood.get(name);
        errors.push(`${(e as Error).message}${prev ? ' (keeping the previous version)' : ''}`);
        if (prev) {
          good.set(name, prev);
          configs.push(prev);
        }
      }
    }
    this.lastGood = good;
    return { configs, errors, digest: configDigest(files) };
  }
}
