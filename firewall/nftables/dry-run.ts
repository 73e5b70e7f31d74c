// `--dry-run` support: a driver that renders every batch it would apply and
// records it instead of running nft. It keeps no state (it is built like the
// rootless driver) and looks at no foreign chains, so it touches nothing.
import type { FirewallDriver } from '../firewall.js';
import type { NftBatch } from './nft-json.js';
import type { NftRunner } from './nft.js';
import { createNftablesDriver } from './driver.js';

export interface RecordedBatch {
  what: string;
  batch: NftBatch;
}

export function dryRunNftablesDriver(): { driver: FirewallDriver; batches: RecordedBatch[] } {
  const batches: RecordedBatch[] = [];
  const runner: NftRunner = {
    async apply(batch, what) {
      batches.push({ what, batch });
    },
    async list() {
      return { nftables: [] };
    },
  };
  return { driver: createNftablesDriver({ configDir: '/nonexistent', rootless: true }, runner), batches };
}
