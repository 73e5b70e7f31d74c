// Reads a config dir into parsed network files. One bad file is reported and,
// when an earlier version of it parsed, that version keeps serving: a typo
// written by hand must not take a whole network's DNS down.
//
// Reloads are incremental: every file is read (a read is cheap and always
// current, unlike mtimes with their coarse clock), but a file whose bytes did
// not change keeps its parsed config object, and in a changed file only the
// container lines not seen before are parsed (by the parser of record, with the
// file's header). Unchanged entries keep their identity, so backend.ts can
// reuse what it derived from them. A container start appends one line to one
// file: that is what a reload then costs, not the whole directory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDigest, isConfigFileName, parseNetworkConfig, type ContainerEntry, type NetworkConfig } from '../schemas/aardvark-config.js';

export interface LoadedDir {
  configs: NetworkConfig[];
  /** one message per file that could not be used */
  errors: string[];
  /** digest of the bytes read (schemas/aardvark-config.ts configDigest) */
  digest: string;
}

/** What the last good parse of one file left behind. */
interface Parsed {
  content: string;
  config: NetworkConfig;
  header: string;
  /** container line (as written, without CR) → its entry */
  lines: Map<string, ContainerEntry>;
}

export class ConfigDir {
  private lastGood = new Map<string, Parsed>();

  constructor(readonly path: string) {}

  /** Throws only when the directory itself cannot be read. */
  load(): LoadedDir {
    const names = readdirSync(this.path).filter(isConfigFileName).sort();
    const files: { name: string; content: string }[] = [];
    const configs: NetworkConfig[] = [];
    const errors: string[] = [];
    const good = new Map<string, Parsed>();
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
      const prev = this.lastGood.get(name);
      try {
        const parsed = prev?.content === content ? prev : parseFile(name, content, prev);
        good.set(name, parsed);
        configs.push(parsed.config);
      } catch (e) {
        errors.push(`${(e as Error).message}${prev ? ' (keeping the previous version)' : ''}`);
        if (prev) {
          good.set(name, prev);
          configs.push(prev.config);
        }
      }
    }
    this.lastGood = good;
    return { configs, errors, digest: configDigest(files) };
  }
}

/** Non-empty lines without a trailing CR, as parseNetworkConfig sees them: the header, then one per container. */
function contentLines(content: string): string[] {
  const out: string[] = [];
  for (const raw of content.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line !== '') out.push(line);
  }
  return out;
}

/**
 * Parses `content`, reusing the entries of `prev` for lines it had already
 * parsed. The result is what parseNetworkConfig(name, content) gives (same
 * entries in the same order; errors name the right line: on any error the
 * whole file is parsed again for the message).
 */
export function parseFile(name: string, content: string, prev: Parsed | undefined): Parsed {
  const all = contentLines(content);
  const header = all[0];
  const body = all.slice(1);
  if (prev && header === prev.header) {
    const fresh = body.filter((l) => !prev.lines.has(l));
    // parse the new lines with the header: the parser of record validates them
    let add: NetworkConfig | undefined;
    try {
      add = parseNetworkConfig(name, [header, ...fresh].join('\n'));
    } catch {
      add = undefined;
    }
    if (add && add.containers.length === fresh.length) {
      const lines = new Map<string, ContainerEntry>();
      fresh.forEach((l, i) => lines.set(l, add.containers[i]!));
      const containers = body.map((l) => {
        const e = prev.lines.get(l) ?? lines.get(l)!;
        lines.set(l, e);
        return e;
      });
      return { content, header, lines, config: { ...prev.config, containers } };
    }
  }
  const config = parseNetworkConfig(name, content);
  const lines = new Map<string, ContainerEntry>();
  // one entry per non-empty line after the header, in order (parseNetworkConfig's contract)
  body.forEach((l, i) => lines.set(l, config.containers[i]!));
  return { content, header: header ?? '', lines, config };
}
