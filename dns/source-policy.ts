// Who may ask: containers listed in the config (their source IP is on a
// container line) and the host itself (a source address that is local to the
// server's network namespace). Anyone else, e.g. a machine that routes to a
// gateway address from outside, gets REFUSED: no names, and above all no
// recursion through the host's resolvers (no open resolver).
import { networkInterfaces } from 'node:os';
import { canonicalSource } from './resolve.js';

const REFRESH_MS = 1000;

export class SourcePolicy {
  private local = new Set<string>();
  private readAt = 0;

  /** `isContainer`: true when the source is a known container address. */
  constructor(private readonly isContainer: (source: string) => boolean) {}

  allows(source: string): boolean {
    if (this.isContainer(source) || this.local.has(source)) return true;
    // addresses come and go with bridges: look again, at most once a second
    if (Date.now() - this.readAt < REFRESH_MS) return false;
    this.refresh();
    return this.local.has(source);
  }

  /** Re-reads the namespace's own addresses (also called on every reload). */
  refresh(): void {
    const next = new Set<string>();
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) next.add(canonicalSource(a.address.replace(/%.*$/, '')));
    }
    this.local = next;
    this.readAt = Date.now();
  }
}
