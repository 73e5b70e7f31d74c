import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addHostFwd, call, decodeAdd, decodeList, decodeRemove, listHostFwd, removeHostFwd } from '../../../src/rootless/slirp-api.js';

describe('slirp4netns API codecs', () => {
  it('builds the documented requests', () => {
    assert.equal(
      JSON.stringify(addHostFwd({ proto: 'tcp', host_addr: '0.0.0.0', host_port: 8080, guest_port: 80 })),
      '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"0.0.0.0","host_port":8080,"guest_port":80}}',
    );
    assert.equal(JSON.stringify(removeHostFwd(3)), '{"execute":"remove_hostfwd","arguments":{"id":3}}');
    assert.equal(JSON.stringify(listHostFwd()), '{"execute":"list_hostfwd"}');
  });
  it('decodes replies', () => {
    assert.equal(decodeAdd('{"return": {"id": 7}}'), 7);
    assert.deepEqual(decodeList('{"return":{"entries":[{"id":1,"proto":"udp","host_addr":"0.0.0.0","host_port":53,"guest_addr":"10.0.2.100","guest_port":53}]}}'), [
      { id: 1, proto: 'udp', host_addr: '0.0.0.0', host_port: 53, guest_addr: '10.0.2.100', guest_port: 53 },
    ]);
    assert.deepEqual(decodeList('{"entries":[]}'), [], 'slirp4netns 1.2.0 leaves out "return"');
    decodeRemove('{"return":{}}');
  });
  it('turns error replies into messages', () => {
    assert.throws(() => decodeAdd('{"error":{"desc":"bad request: add_hostfwd: failed to setup hostfwd"}}'), /slirp4netns API add_hostfwd: bad request: add_hostfwd: failed/);
    assert.throws(() => decodeAdd(''), /reply is not JSON/);
    assert.throws(() => decodeAdd('{"return":{}}'), /unexpected reply/);
  });
});

describe('slirp4netns API transport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-api-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('sends one request, half-closes, reads the reply', async () => {
    const path = join(dir, 'api.sock');
    const server = createServer({ allowHalfOpen: true }, (c) => {
      const parts: Buffer[] = [];
      c.on('data', (b: Buffer) => parts.push(b));
      c.on('end', () => {
        const req = JSON.parse(Buffer.concat(parts).toString()) as { execute: string };
        c.end(JSON.stringify({ return: { id: req.execute === 'add_hostfwd' ? 5 : -1 } }));
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      assert.equal(decodeAdd(await call(path, addHostFwd({ proto: 'tcp', host_addr: '0.0.0.0', host_port: 1, guest_port: 1 }))), 5);
    } finally {
      server.close();
    }
  });
  it('says which socket it cannot reach', async () => {
    await assert.rejects(call(join(dir, 'missing.sock'), listHostFwd()), /cannot reach .*missing\.sock: ENOENT/);
  });
});
