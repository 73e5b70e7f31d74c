// Route verbs of the rtnetlink facade (main table), read back with `ip -j route`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { needRoot } from '../../helpers/sandbox.js';
import { ipRoutes, nlNetns, type IpRoute, type NlNs } from '../../helpers/netlink.js';
import { NetlinkError } from '../../../src/lib/errors.js';
import type { RouteSpec } from '../../../src/netlink/netlink.js';

function find(routes: IpRoute[], dst: string, extra: Partial<IpRoute> = {}): IpRoute | undefined {
  return routes.find((r) => r.dst === dst && Object.entries(extra).every(([k, v]) => r[k as keyof IpRoute] === v));
}

describe('netlink routes', { skip: needRoot }, () => {
  let a: NlNs;
  let br: number;
  before(async () => {
    a = await nlNetns();
    br = (await a.nl.createBridge({ name: 'skbr0' })).index;
    await a.nl.addAddress({ linkIndex: br, cidr: '10.91.0.1/24' });
    await a.nl.addAddress({ linkIndex: br, cidr: 'fd91::1/64' });
    await a.nl.setUp(br);
  });
  after(() => a?.destroy());

  test('IPv4 default route via gateway with metric; idempotent', async () => {
    const r: RouteSpec = { destination: '0.0.0.0/0', gateway: '10.91.0.254', linkIndex: br, metric: 100 };
    await a.nl.addRoute(r);
    await a.nl.addRoute(r);
    const got = find(ipRoutes(a.ns, 4), 'default', { metric: 100 });
    assert.equal(got?.gateway, '10.91.0.254');
    assert.equal(got?.dev, 'skbr0');
    assert.equal(got?.protocol, 'static');
    assert.equal(ipRoutes(a.ns, 4).filter((x) => x.dst === 'default').length, 1);
    const mine = (await a.nl.routes(4)).find((x) => x.destination === '0.0.0.0/0');
    assert.deepEqual(mine, { family: 4, table: 254, destination: '0.0.0.0/0', type: 'unicast', gateway: '10.91.0.254', linkIndex: br, metric: 100 });
  });

  test('IPv6 default route via gateway with metric; idempotent', async () => {
    const r: RouteSpec = { destination: '::/0', gateway: 'fd91::fe', linkIndex: br, metric: 100 };
    await a.nl.addRoute(r);
    await a.nl.addRoute(r);
    const got = find(ipRoutes(a.ns, 6), 'default', { metric: 100 });
    assert.equal(got?.gateway, 'fd91::fe');
    assert.equal(got?.dev, 'skbr0');
    const mine = (await a.nl.routes(6)).find((x) => x.destination === '::/0');
    assert.deepEqual(mine, { family: 6, table: 254, destination: '::/0', type: 'unicast', gateway: 'fd91::fe', linkIndex: br, metric: 100 });
  });

  test('a second default route with another metric coexists', async () => {
    await a.nl.addRoute({ destination: '0.0.0.0/0', gateway: '10.91.0.253', metric: 200 });
    const defaults = ipRoutes(a.ns, 4).filter((x) => x.dst === 'default');
    assert.deepEqual(defaults.map((x) => [x.gateway, x.metric]).sort(), [['10.91.0.253', 200], ['10.91.0.254', 100]]);
  });

  test('another gateway for the same destination and metric is added beside it (two networks), both families', async () => {
    const extra: RouteSpec[] = [
      { destination: '0.0.0.0/0', gateway: '10.91.0.9', metric: 100 },
      { destination: '::/0', gateway: 'fd91::9', metric: 100 },
    ];
    for (const r of extra) {
      await a.nl.addRoute(r);
      await a.nl.addRoute(r); // still idempotent
    }
    const v4 = ipRoutes(a.ns, 4).filter((x) => x.dst === 'default' && x.metric === 100);
    assert.deepEqual(v4.map((x) => x.gateway).sort(), ['10.91.0.254', '10.91.0.9']);
    // IPv6 keeps them as one multipath route; the facade lists one route per nexthop
    const mine6 = (await a.nl.routes(6)).filter((x) => x.destination === '::/0' && x.metric === 100);
    assert.deepEqual(mine6.map((x) => [x.gateway, x.linkIndex]).sort(), [['fd91::9', br], ['fd91::fe', br]]);
    await a.nl.addRoute({ destination: '::/0', gateway: 'fd91::fe', linkIndex: br, metric: 100 }); // identical to a nexthop: no error
    for (const r of extra) {
      assert.equal(await a.nl.deleteRoute(r), 'deleted');
      assert.equal(await a.nl.deleteRoute(r), 'absent');
    }
    assert.deepEqual((await a.nl.routes(6)).filter((x) => x.destination === '::/0').map((x) => x.gateway), ['fd91::fe']);
  });

  test('unicast via gateway and on-link (no gateway), both families', async () => {
    await a.nl.addRoute({ destination: '172.20.0.0/16', gateway: '10.91.0.254' });
    await a.nl.addRoute({ destination: '172.21.0.0/16', linkIndex: br });
    await a.nl.addRoute({ destination: 'fd92::/64', gateway: 'fd91::fe', metric: 50 });
    const v4 = ipRoutes(a.ns, 4);
    assert.equal(find(v4, '172.20.0.0/16')?.gateway, '10.91.0.254');
    assert.equal(find(v4, '172.21.0.0/16')?.scope, 'link');
    assert.equal(find(v4, '172.21.0.0/16')?.dev, 'skbr0');
    const v6 = find(ipRoutes(a.ns, 6), 'fd92::/64');
    assert.equal(v6?.gateway, 'fd91::fe');
    assert.equal(v6?.metric, 50);
    // idempotent without metric too: v4 stores 0, v6 stores 1024
    await a.nl.addRoute({ destination: '172.20.0.0/16', gateway: '10.91.0.254' });
    await a.nl.addRoute({ destination: 'fd93::/64', gateway: 'fd91::fe' });
    await a.nl.addRoute({ destination: 'fd93::/64', gateway: 'fd91::fe' });
    assert.equal(find(ipRoutes(a.ns, 6), 'fd93::/64')?.metric, 1024);
  });

  test('blackhole, unreachable and prohibit, both families; idempotent', async () => {
    const specs: RouteSpec[] = [
      { destination: '192.0.2.0/24', type: 'blackhole' },
      { destination: '198.51.100.0/24', type: 'unreachable' },
      { destination: '203.0.113.0/24', type: 'prohibit', metric: 10 },
      { destination: '2001:db8:1::/48', type: 'blackhole' },
      { destination: '2001:db8:2::/48', type: 'unreachable' },
      { destination: '2001:db8:3::/48', type: 'prohibit' },
    ];
    for (const r of specs) {
      await a.nl.addRoute(r);
      await a.nl.addRoute(r);
    }
    const v4 = ipRoutes(a.ns, 4);
    const v6 = ipRoutes(a.ns, 6);
    assert.equal(find(v4, '192.0.2.0/24')?.type, 'blackhole');
    assert.equal(find(v4, '198.51.100.0/24')?.type, 'unreachable');
    assert.equal(find(v4, '203.0.113.0/24')?.type, 'prohibit');
    assert.equal(find(v4, '203.0.113.0/24')?.metric, 10);
    assert.equal(find(v6, '2001:db8:1::/48')?.type, 'blackhole');
    assert.equal(find(v6, '2001:db8:2::/48')?.type, 'unreachable');
    assert.equal(find(v6, '2001:db8:3::/48')?.type, 'prohibit');
    const mine = await a.nl.routes();
    for (const r of specs) {
      assert.ok(mine.some((m) => m.destination === r.destination && m.type === r.type), `routes() has ${r.type} ${r.destination}`);
    }
  });

  test('routes(family) filters by family and hides other tables', async () => {
    assert.ok((await a.nl.routes(4)).every((r) => r.family === 4 && r.table === 254));
    assert.ok((await a.nl.routes(6)).every((r) => r.family === 6 && r.table === 254));
    // the local table's 10.91.0.1 host route is not there
    assert.ok(!(await a.nl.routes(4)).some((r) => r.destination === '10.91.0.1/32'));
  });

  test('delete: deleted, then absent', async () => {
    const specs: RouteSpec[] = [
      { destination: '0.0.0.0/0', gateway: '10.91.0.254', metric: 100 },
      { destination: '::/0', gateway: 'fd91::fe', metric: 100 },
      { destination: '192.0.2.0/24', type: 'blackhole' },
      { destination: '2001:db8:2::/48', type: 'unreachable' },
      { destination: '172.21.0.0/16', linkIndex: br },
    ];
    for (const r of specs) {
      assert.equal(await a.nl.deleteRoute(r), 'deleted', `first delete of ${r.destination}`);
      assert.equal(await a.nl.deleteRoute(r), 'absent', `second delete of ${r.destination}`);
    }
    const v4 = ipRoutes(a.ns, 4);
    assert.equal(find(v4, 'default', { metric: 100 }), undefined);
    assert.ok(find(v4, 'default', { metric: 200 }), 'the other default route stays');
    assert.equal(find(v4, '192.0.2.0/24'), undefined);
    assert.equal(find(ipRoutes(a.ns, 6), 'default', { metric: 100 }), undefined);
  });

  test('routes() over a dump that spans many datagrams', async () => {
    const specs: RouteSpec[] = [];
    for (let i = 0; i < 400; i++) {
      specs.push({ destination: `100.64.${i >> 8}.${i & 0xff}/32`, type: 'blackhole' });
      specs.push({ destination: `fd99:${i.toString(16)}::/64`, type: 'blackhole' });
    }
    await Promise.all(specs.map((r) => a.nl.addRoute(r)));
    const mine = await a.nl.routes();
    for (const family of [4, 6] as const) {
      const viaIp = ipRoutes(a.ns, family).filter((r) => r.type === 'blackhole').length;
      assert.equal(mine.filter((r) => r.family === family && r.type === 'blackhole').length, viaIp);
    }
    assert.ok(mine.filter((r) => r.destination.startsWith('100.64.')).length === 400);
    assert.ok(mine.filter((r) => r.destination.startsWith('fd99:')).length === 400);
  });

  test('gateway of the wrong family: EINVAL before the kernel', async () => {
    await assert.rejects(a.nl.addRoute({ destination: '0.0.0.0/0', gateway: 'fd91::fe' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'EINVAL');
      assert.match(e.message, /^Netlink error: add route 0\.0\.0\.0\/0 via fd91::fe: gateway fd91::fe is not in the family of 0\.0\.0\.0\/0$/);
      return true;
    });
  });

  test('unreachable gateway: the kernel error names the route', async () => {
    await assert.rejects(a.nl.addRoute({ destination: '172.30.0.0/16', gateway: '192.168.77.1' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'ENETUNREACH');
      assert.equal(e.message, 'Netlink error: add route 172.30.0.0/16 via 192.168.77.1: Network is unreachable (os error 101)');
      return true;
    });
  });
});
