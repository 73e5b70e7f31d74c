// Pure edits of one aardvark config file's text (format: schemas/aardvark-config.ts).
// The I/O layer reads the file, calls one of these, and writes the result back
// atomically under aardvark.lock.
import { lineContainerId, serializeHeader } from '../../schemas/aardvark-config.js';

function split(content: string): string[] {
  return content.split('\n').filter((l) => l !== '');
}

/**
 * Adds container lines to a file's content (undefined = new file, which gets
 * `header` first). A line for the same container id is replaced, so a retried
 * setup does not list a container twice.
 */
export function addLines(content: string | undefined, header: string, lines: ReadonlyArray<{ id: string; line: string }>): string {
  const existing = content === undefined ? [header] : split(content);
  const ids = new Set(lines.map((l) => l.id.toLowerCase()));
  const kept = existing.filter((l, i) => i === 0 || !ids.has(lineContainerId(l)));
  if (kept.length === 0) kept.push(header);
  return [...kept, ...lines.map((l) => l.line)].join('\n') + '\n';
}

/** Drops a container's lines; `undefined` when only the header is left (the file should go). */
export function removeLines(content: string, containerId: string): string | undefined {
  const id = containerId.toLowerCase();
  const lines = split(content);
  const kept = lines.filter((l, i) => i === 0 || lineContainerId(l) !== id);
  if (kept.length <= 1) return undefined;
  return kept.join('\n') + '\n';
}

/** Rewrites column 2 of the header (the network's DNS servers); container lines are untouched. */
export function setNetworkServers(content: string, servers: readonly string[]): string {
  const lines = split(content);
  const bind = (lines[0] ?? '').split(' ')[0] ?? '';
  lines[0] = serializeHeader(bind === '' ? [] : bind.split(','), servers);
  return lines.join('\n') + '\n';
}
