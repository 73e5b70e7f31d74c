// The per-network files shared by netavark/skiff (writers) and aardvark-dns/
// skiff-dns (reader). One file per DNS-enabled network, named
// after the network, `%int` suffix for internal networks:
//
//   <bind_ip>[,<bind_ip>...][ <net_dns>[,...]]                          line 1
//   <id> <ipv4>[,...] <ipv6>[,...] <name>[,<alias>...][ <dns>[,...]]    per container
//
// Columns are separated by exactly one space; an empty v4/v6 column is an
// empty string between two spaces. Pure: no I/O here, the reader and writers
// do their own file handling.
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export const PID_FILE = 'aardvark.pid';
export const INTERNAL_SUFFIX = '%int';

export interface ContainerEntry {
  id: string;
  ipv4: string[];
  ipv6: string[];
  /** container name first, then aliases; lower-cased */
  names: string[];
  /** per-container upstreams; empty = use the network's or the host's */
  dnsServers: string[];
}

export interface NetworkConfig {
  network: string;
  internal: boolean;
  bindIps: string[];
  dnsServers: string[];
  containers: ContainerEntry[];
}

/** A file that cannot be used; says which file and line and what was wrong. */
export class AardvarkConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}${line > 0 ? ` line ${line}` : ''}: ${detail}`);
    this.name = 'AardvarkConfigError';
  }
}

/** `mynet%int` → { network: 'mynet', internal: true }. */
export function networkFromFileName(fileName: string): { network: string; internal: boolean } {
  return fileName.endsWith(INTERNAL_SUFFIX)
    ? { network: fileName.slice(0, -INTERNAL_SUFFIX.length), internal: true }
    : { network: fileName, internal: false };
}

export function fileNameFor(network: string, internal: boolean): string {
  return internal ? network + INTERNAL_SUFFIX : network;
}

/** The files skiff-dns reads from a config dir: everything except the pid file and dot/temp files. */
export function isConfigFileName(name: string): boolean {
  return name !== PID_FILE && !name.startsWith('.');
}

function ipList(col: string, want: 4 | 6 | 'any', file: string, lineNo: number, what: string): string[] {
  if (col === '') return [];
  const out: string[] = [];
  for (const ip of col.split(',')) {
    const ok = want === 4 ? isIPv4(ip) : want === 6 ? isIPv6(ip) : isIPv4(ip) || isIPv6(ip);
    if (!ok) throw new AardvarkConfigError(file, lineNo, `invalid ${what} "${ip}"`);
    out.push(ip.toLowerCase());
  }
  return out;
}

/**
 * Parses one network file. Throws AardvarkConfigError for anything aardvark-dns
 * would reject too (bad IPs, fewer than 4 columns, no bind address), so one bad
 * file is rejected as a whole and the others keep working.
 */
export function parseNetworkConfig(fileName: string, content: string): NetworkConfig {
  const { network, internal } = networkFromFileName(fileName);
  const lines = content.split('\n');
  let header: string | undefined;
  let headerNo = 0;
  const containers: ContainerEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line === '') continue;
    const lineNo = i + 1;
    if (header === undefined) {
      header = line;
      headerNo = lineNo;
      continue;
    }
    const cols = line.split(' ');
    if (cols.length < 4) throw new AardvarkConfigError(fileName, lineNo, 'too few columns (want: id ipv4 ipv6 names [dns])');
    const [id = '', v4 = '', v6 = '', names = '', dns = ''] = cols;
    if (id === '') throw new AardvarkConfigError(fileName, lineNo, 'empty container id');
    const nameList = names.split(',').filter((n) => n !== '').map((n) => n.toLowerCase());
    if (nameList.length === 0) throw new AardvarkConfigError(fileName, lineNo, 'no names given');
    containers.push({
      id: id.toLowerCase(),
      ipv4: ipList(v4, 4, fileName, lineNo, 'IPv4 address'),
      ipv6: ipList(v6, 6, fileName, lineNo, 'IPv6 address'),
      names: nameList,
      dnsServers: ipList(dns, 'any', fileName, lineNo, 'DNS server'),
    });
  }
  if (header === undefined) throw new AardvarkConfigError(fileName, 0, 'empty file (want bind IPs on line 1)');
  const [bind = '', netDns = ''] = header.split(' ');
  const bindIps = ipList(bind, 'any', fileName, headerNo, 'bind IP');
  if (bindIps.length === 0) throw new AardvarkConfigError(fileName, headerNo, 'no bind IP on line 1');
  return { network, internal, bindIps, dnsServers: ipList(netDns, 'any', fileName, headerNo, 'network DNS server'), containers };
}

export function serializeHeader(bindIps: readonly string[], dnsServers: readonly string[]): string {
  return dnsServers.length > 0 ? `${bindIps.join(',')} ${dnsServers.join(',')}` : bindIps.join(',');
}

export function serializeContainer(e: ContainerEntry): string {
  const base = `${e.id} ${e.ipv4.join(',')} ${e.ipv6.join(',')} ${e.names.join(',')}`;
  return e.dnsServers.length > 0 ? `${base} ${e.dnsServers.join(',')}` : base;
}

/** First column of a container line (the id), or undefined for the header / blank lines. */
export function lineContainerId(line: string): string {
  const sp = line.indexOf(' ');
  return (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
}

/**
 * Fingerprint of a config dir's content, computed the same way by skiff-dns
 * (over the bytes it loaded) and by `skiff setup` (over the bytes it wrote):
 * equal digests mean the server serves exactly what is on disk now.
 */
export function configDigest(files: ReadonlyArray<{ name: string; content: string }>): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    h.update(f.name);
    h.update('\0');
    h.update(f.content);
    h.update('\0');
  }
  return h.digest('hex').slice(0, 32);
}

/** Where skiff-dns reports what it loaded: beside the config dir, never inside (aardvark-dns would parse it). */
export function loadedFilePath(configDir: string): string {
  return configDir.replace(/\/+$/, '') + '.loaded';
}

/** `<pid> <digest>` — written by skiff-dns after every (re)load. */
export function serializeLoaded(pid: number, digest: string): string {
  return `${pid} ${digest}\n`;
}

export function parseLoaded(content: string): { pid: number; digest: string } | undefined {
  const m = /^(\d+) ([0-9a-f]+)\s*$/.exec(content);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return { pid: Number(m[1]), digest: m[2] };
}
