// The rootless netns connected by slirp4netns instead of pasta: ports are
// added and removed live through its API (no fixed set), names resolve, other
// names go through slirp4netns' DNS (.3) to the host's resolver, and teardown
// leaves nothing. slirp4netns connects from its gateway, so the container
// sees 10.0.2.2 instead of the client (documented limit).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { killChildren, needRoot, uniq, type RunResult } from '../../helpers/sandbox.js';
import { options, type NetSpec } from '../../helpers/options.js';
import { BridgeWorld, UPSTREAM_ANSWER, alive, type Status } from './world.js';

function json<T>(r: RunResult, what: string): T {
  assert.equal(r.code, 0, `${what} failed: ${r.stdout} ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const NET: NetSpec = { name: 'rbslirp', bridge: uniq('sks'), subnets: [{ subnet: '10.89.17.0/24', gateway: '10.89.17.1' }], dns: true };
const port = (host_port: number) => ({ host_ip: '', container_port: 80, host_port, range: 1, protocol: 'tcp' });

describe('rootless bridge network over slirp4netns', { skip: needRoot }, () => {
  let w: BridgeWorld;
  let st: Status = { running: false };
  const opts: Record<string, string> = {};

  before(async () => {
    w = new BridgeWorld();
    await w.startStub();
  });
  after(async () => {
    await w?.destroy();
  });

  it('ensure --backend slirp4netns; two containers, ports published live', async () => {
    st = json<Status>(w.ensure(['--backend', 'slirp4netns']), 'ensure');
    assert.equal(st.backend, 'slirp4netns');
    assert.deepEqual(st.dns_servers, ['10.0.2.3']);
    await w.startContainer('web', st.userns!);
    await w.startContainer('cli', st.userns!);
    opts.web = JSON.stringify(options('web', [{ net: NET, ips: ['10.89.17.2'] }], { port_mappings: [port(8081)] }));
    opts.cli = JSON.stringify(options('cli', [{ net: NET, ips: ['10.89.17.3'] }], { port_mappings: [port(8082)] }));
    for (const name of ['web', 'cli']) json(w.skiff(['--rootless', 'true', 'setup', `/proc/${w.ctr[name]}/ns/net`], opts[name]), `setup ${name}`);
    w.serve('web', ['TCP-LISTEN:80,fork,reuseaddr', 'SYSTEM:echo peer=$SOCAT_PEERADDR']);
    w.serve('cli', ['TCP-LISTEN:80,fork,reuseaddr', 'SYSTEM:echo peer=$SOCAT_PEERADDR']);
    // both ports, although the netns was made without any: slirp4netns adds forwards while it runs
    for (const p of [8081, 8082]) assert.match(await w.client(p), /peer=/, `port ${p}`);
  });

  it('names resolve, other names go through slirp4netns to the host resolver', () => {
    const r = w.inCtr('cli', ['dig', '+short', '+time=2', '+tries=3', '@10.89.17.1', 'web']);
    assert.equal(r.stdout.trim(), '10.89.17.2', `${r.stdout} ${r.stderr}`);
    const up = w.inCtr('cli', ['dig', '+short', '+time=2', '+tries=3', '@10.89.17.1', 'www.example.test']);
    assert.equal(up.stdout.trim(), UPSTREAM_ANSWER, `${up.stdout} ${up.stderr}`);
  });

  it("teardown withdraws the container's ports; destroy --force stops everything while one is attached", async () => {
    const s = json<Status>(w.skiff(['rootless', 'netns', 'status']), 'status');
    const ino = statSync(s.netns!).ino;
    assert.equal(w.skiff(['--rootless', 'true', 'teardown', `/proc/${w.ctr.cli}/ns/net`], opts.cli).code, 0);
    assert.doesNotMatch(await quick(8082), /peer=/, 'port of the torn-down container is withdrawn');
    assert.match(await w.client(8081), /peer=/, 'the other container still publishes');
    // web is still attached: destroy refuses, --force stops everything, skiff-dns included
    const busy = w.skiff(['rootless', 'netns', 'destroy']);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stdout, /still has 1 container network/);
    const dnsPid = Number(readFileSync(join(w.state, 'aardvark-dns', 'aardvark.pid'), 'utf8').trim());
    json(w.skiff(['rootless', 'netns', 'destroy', '--force']), 'destroy --force');
    for (const pid of [s.pause_pid!, s.holder_pid!, s.conn_pid!, dnsPid]) assert.ok(!alive(pid), `helper ${pid} is gone`);
    // the engine's teardown after that is still fine: nothing left to do
    assert.equal(w.skiff(['--rootless', 'true', 'teardown', `/proc/${w.ctr.web}/ns/net`], opts.web).code, 0);
    const after = json<Status>(w.skiff(['rootless', 'netns', 'status']), 'status');
    assert.equal(after.running, false);
    assert.equal(after.ref_count, 0);
    await killChildren(w.spawned);
    assert.deepEqual(await BridgeWorld.leftIn([ino]), [], 'no process is left in the rootless netns');
  });

  async function quick(p: number): Promise<string> {
    const r = w.outside.run('socat', ['-T2', '-', `TCP:10.77.0.1:${p}`], { input: 'x\n', timeoutMs: 10_000 });
    return r.stdout;
  }
});
