// Reads and writes the firewall state files (format: schemas/firewall-state.ts).
// Writes are atomic; a file that cannot be parsed is reported and skipped, so
// one damaged file never blocks a reload of everything else.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  networkFileName,
  networkFileSchema,
  parseStateFile,
  portsFileName,
  portsFileSchema,
  serializeNetwork,
  serializePorts,
  type SavedNetwork,
  type SavedPorts,
} from '../schemas/firewall-state.js';
import { readOptional, removeFile, writeFileAtomic } from '../src/lib/state-files.js';
import { createLog } from '../src/lib/log.js';
import type { FirewallNetwork, PortForward } from './firewall.js';

const log = createLog('firewall');

export class FirewallState {
  readonly dir: string;
  private readonly networksDir: string;
  private readonly portsDir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'firewall');
    this.networksDir = join(this.dir, 'networks');
    this.portsDir = join(this.dir, 'ports');
  }

  get lockPath(): string {
    return join(this.dir, 'firewall-reload.lock');
  }

  writeDriverName(name: string): void {
    const path = join(this.dir, 'firewall-driver');
    if (readOptional(path)?.trim() === name) return;
    writeFileAtomic(path, name);
  }

  /** The driver record goes with the last network: a setup that failed on a fresh host leaves nothing. */
  removeDriverNameIfUnused(): void {
    if (this.networkIds().length === 0) removeFile(join(this.dir, 'firewall-driver'));
  }

  readDriverName(): string | undefined {
    return readOptional(join(this.dir, 'firewall-driver'))?.trim();
  }

  hasNetwork(id: string): boolean {
    return readOptional(join(this.networksDir, networkFileName(id))) !== undefined;
  }

  loadNetwork(id: string): FirewallNetwork | undefined {
    const path = join(this.networksDir, networkFileName(id));
    const text = readOptional(path);
    if (text === undefined) return undefined;
    try {
      return parseStateFile(networkFileSchema, text, path);
    } catch (e) {
      log.warn(`ignoring damaged firewall state file: ${(e as Error).message}`);
      return undefined;
    }
  }

  saveNetwork(n: FirewallNetwork): void {
    writeFileAtomic(join(this.networksDir, networkFileName(n.networkId)), serializeNetwork(toSavedNetwork(n)));
  }

  removeNetwork(id: string): void {
    removeFile(join(this.networksDir, networkFileName(id)));
  }

  networkIds(): string[] {
    return jsonFiles(this.networksDir).map((f) => f.slice(0, -'.json'.length));
  }

  loadNetworks(): FirewallNetwork[] {
    return loadAll(this.networksDir, (text, path) => parseStateFile(networkFileSchema, text, path));
  }

  savePorts(p: PortForward): void {
    writeFileAtomic(join(this.portsDir, portsFileName(p.network.networkId, p.containerId)), serializePorts(toSavedPorts(p)));
  }

  loadPorts(networkId: string, containerId: string): PortForward | undefined {
    const path = join(this.portsDir, portsFileName(networkId, containerId));
    const text = readOptional(path);
    if (text === undefined) return undefined;
    try {
      return parseStateFile(portsFileSchema, text, path);
    } catch (e) {
      log.warn(`ignoring damaged firewall state file: ${(e as Error).message}`);
      return undefined;
    }
  }

  removePorts(networkId: string, containerId: string): void {
    removeFile(join(this.portsDir, portsFileName(networkId, containerId)));
  }

  /** Saved ports of one network (file names start with its id). */
  portsOfNetwork(networkId: string): PortForward[] {
    const prefix = portsFileName(networkId, '');
    return loadAll(this.portsDir, (text, path) => parseStateFile(portsFileSchema, text, path), (f) => f.startsWith(prefix.slice(0, -'.json'.length)));
  }

  /** Saved ports of one container on any network (file names end with its id). */
  portsOfContainer(containerId: string): PortForward[] {
    const suffix = `_${portsFileName('', containerId).slice(1)}`;
    return loadAll(this.portsDir, (text, path) => parseStateFile(portsFileSchema, text, path), (f) => f.endsWith(suffix));
  }

  loadAllPorts(): PortForward[] {
    return loadAll(this.portsDir, (text, path) => parseStateFile(portsFileSchema, text, path));
  }
}

function toSavedNetwork(n: FirewallNetwork): SavedNetwork {
  const s: SavedNetwork = {
    networkId: n.networkId,
    networkName: n.networkName,
    bridge: n.bridge,
    subnets: [...n.subnets],
    gateways: [...n.gateways],
    isolate: n.isolate,
    internal: n.internal,
    dnsPort: n.dnsPort,
    dnsEnabled: n.dnsEnabled,
  };
  if (n.outboundAddr4 !== undefined) s.outboundAddr4 = n.outboundAddr4;
  if (n.outboundAddr6 !== undefined) s.outboundAddr6 = n.outboundAddr6;
  if (n.masquerade !== undefined) s.masquerade = n.masquerade;
  if (n.noNatDestinations !== undefined && n.noNatDestinations.length > 0) s.noNatDestinations = [...n.noNatDestinations];
  return s;
}

function toSavedPorts(p: PortForward): SavedPorts {
  const s: SavedPorts = { containerId: p.containerId, network: toSavedNetwork(p.network), portMappings: p.portMappings };
  if (p.containerIpV4 !== undefined) s.containerIpV4 = p.containerIpV4;
  if (p.containerIpV6 !== undefined) s.containerIpV6 = p.containerIpV6;
  return s;
}

function jsonFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function loadAll<T>(dir: string, parse: (text: string, path: string) => T, pick: (file: string) => boolean = () => true): T[] {
  const out: T[] = [];
  for (const f of jsonFiles(dir).filter(pick)) {
    const path = join(dir, f);
    const text = readOptional(path);
    if (text === undefined) continue; // removed meanwhile
    try {
      out.push(parse(text, path));
    } catch (e) {
      log.warn(`ignoring damaged firewall state file: ${(e as Error).message}`);
    }
  }
  return out;
}
