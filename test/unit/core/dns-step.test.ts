// When a setup's DNS step starts (core/dns.ts DnsStep): once every DNS network
// of the call has its bind addresses, not before; at the end when no driver
// said; and its undo step waits for it and removes the entries only if it succeeded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetworkOptions, type NetworkOptions } from '../../../schemas/network-options.js';
import { planBridge } from '../../../src/drivers/bridge-plan.js';
import type { PlanBase, PlanContext } from '../../../src/drivers/plan.js';
import { DnsStep } from '../../../src/core/dns.js';
import type { Context } from '../../../src/core/context.js';
import { createLog } from '../../../src/lib/log.js';
import { UndoStack } from '../../../src/lib/undo.js';
import { options, type NetSpec } from '../../helpers/options.js';

const net = (i: number, dns: boolean): NetSpec => ({ name: `n${i}`, bridge: `br${i}`, subnets: [{ subnet: `10.${i}.0.0/24`, gateway: `10.${i}.0.1` }], dns });
const log = createLog('skiff', 'silent');

function planned(nets: NetSpec[]): { opts: NetworkOptions; plans: PlanBase[] } {
  const r = parseNetworkOptions(JSON.stringify(options('c', nets.map((n, i) => ({ net: n, ips: [`10.${i + 1}.0.2`] })))));
  if (!r.ok) throw new Error(r.error);
  const o = r.value;
  const ctx: PlanContext = {
    containerId: o.containerId, containerName: o.containerName, portMappings: o.portMappings, dnsServers: o.dnsServers,
    dnsAvailable: true, dnsPort: 53, rootless: false, systemd: false,
  };
  return { opts: o, plans: o.attachments.map((a) => planBridge(a, ctx)) };
}

/** A DnsStep whose commit and removal are recorded; commit settles when `settle` is called. */
function step(nets: NetSpec[], fail = false) {
  const { opts, plans } = planned(nets);
  const calls: string[] = [];
  let settle: () => void = () => {};
  const commit = (_c: Context, _d: string, _o: NetworkOptions, _p: readonly PlanBase[], bindIps: Map<string, string[]>) => {
    calls.push(`commit ${[...bindIps].map(([k, v]) => `${k}=${v.join(',')}`).join(' ')}`.trim());
    return new Promise<void>((res, rej) => (settle = () => (fail ? rej(new Error('aardvark-dns failed to start: boom')) : res())));
  };
  const remove = async () => void calls.push('remove');
  const undo = new UndoStack();
  const ctx = { log } as unknown as Context;
  const s = new DnsStep(ctx, '/nonexistent', opts, plans, undo, log, commit, remove);
  return { s, calls, undo, settle: () => settle() };
}

test('starts once the last DNS network is ready, with unmanaged bind addresses', async () => {
  const { s, calls, settle } = step([net(1, true), net(2, false), net(3, true)]);
  s.ready('n1');
  assert.deepEqual(calls, []);
  s.ready('n2'); // no DNS: not waited for
  assert.deepEqual(calls, []);
  s.ready('n3', ['10.3.0.9']);
  assert.deepEqual(calls, ['commit n3=10.3.0.9']);
  s.ready('n3'); // said twice: nothing more
  const done = s.finish(new Map());
  settle();
  await done;
  assert.deepEqual(calls, ['commit n3=10.3.0.9']);
});

test('no driver said: finish() starts it with the addresses setup returned', async () => {
  const { s, calls, settle } = step([net(1, true)]);
  const done = s.finish(new Map([['n1', ['10.1.0.7']]]));
  assert.deepEqual(calls, ['commit n1=10.1.0.7']);
  settle();
  await done;
});

test('undo after a started step waits for it, then removes the entries', async () => {
  const { s, calls, undo, settle } = step([net(1, true)]);
  s.ready('n1');
  const rolledBack = undo.run(log);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ['commit'], 'removal waits for the commit');
  settle();
  await rolledBack;
  assert.deepEqual(calls, ['commit', 'remove']);
});

test('undo after a failed step removes nothing more (the commit took its lines back)', async () => {
  const { s, calls, undo, settle } = step([net(1, true)], true);
  s.ready('n1');
  settle();
  await assert.rejects(s.finish(new Map()), /aardvark-dns failed to start: boom/);
  await undo.run(log);
  assert.deepEqual(calls, ['commit']);
});

test('a call without DNS networks never commits', async () => {
  const { s, calls, undo } = step([net(1, false)]);
  s.ready('n1');
  await s.finish(new Map());
  await undo.run(log);
  assert.deepEqual(calls, []);
});
