// GC: every attachment this network has a record of and the runtime no longer
// lists goes through DEL (without its netns), then the IPAM plugin gets its own
// GC when it speaks spec 1.1.0.
import { throwCollected, wrap } from '../lib/errors.js';
import { attachmentKey } from './config.js';
import { ipamCall } from './delegate.js';
import { cmdDel } from './del.js';
import { ipamCallOf, type CniRuntime } from './runtime.js';
import { listRecords } from './state.js';

export async function cmdGc(rt: CniRuntime): Promise<{ removed: string[] }> {
  const { conf, log } = rt;
  const valid = conf.validAttachments;
  if (!valid) {
    log.warn('GC without cni.dev/valid-attachments: nothing is collected');
    return { removed: [] };
  }
  const errors: Error[] = [];
  const removed: string[] = [];
  const records = listRecords(rt.stateDir, conf.name, (f) => log.warn(`ignoring damaged attachment record ${f}`));
  for (const r of records) {
    const key = attachmentKey(r.containerId, r.ifName);
    if (valid.has(key)) continue;
    try {
      await cmdDel({ ...rt, env: { ...rt.env, command: 'DEL', containerId: r.containerId, ifName: r.ifName, netns: '' } });
      removed.push(key);
    } catch (e) {
      errors.push(wrap(`collect attachment ${key}`, e));
    }
  }
  if (conf.ipamType) {
    try {
      await ipamCall(ipamCallOf(rt, 'GC'), conf.cniVersion);
    } catch (e) {
      errors.push(wrap('IPAM GC', e));
    }
  }
  throwCollected(errors);
  return { removed };
}
