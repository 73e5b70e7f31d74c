import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pastaArgs } from '../../../src/rootless/pasta.js';
import { opts, pastaNew, pastaOld, tcp8080, udpRange } from './fixtures.js';

const PID = '/run/user/1000/skiff/rootless/k.pid';
const NS = '/run/user/1000/netns/netns-1234';

describe('pastaArgs', () => {
  // Expected lines follow containers/common's createPastaArgs, plus our --pid.
  const cases: { name: string; o: Parameters<typeof opts>[0]; f?: typeof pastaNew; want: string }[] = [
    {
      name: 'no ports: every direction off, podman defaults',
      o: {},
      want: `--config-net --pid ${PID} --dns-forward 169.254.1.1 -t none -u none -T none -U none --no-map-gw --quiet --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
    {
      name: 'old pasta: no --map-guest-addr (probed, not retried)',
      o: {},
      f: pastaOld,
      want: `--config-net --pid ${PID} --dns-forward 169.254.1.1 -t none -u none -T none -U none --no-map-gw --quiet --netns ${NS}`,
    },
    {
      name: 'tcp port: -t spec, tcp auto stays off only for udp',
      o: { ports: [tcp8080] },
      want: `--config-net --pid ${PID} -t 8080:80 --dns-forward 169.254.1.1 -u none -T none -U none --no-map-gw --quiet --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
    {
      name: 'udp range with host ip',
      o: { ports: [udpRange] },
      want: `--config-net --pid ${PID} -u 127.0.0.1/5000-5002:6000-6002 --dns-forward 169.254.1.1 -t none -T none -U none --no-map-gw --quiet --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
    {
      name: 'IPv6 host ip',
      o: { ports: [{ ...tcp8080, hostIp: '::1' }] },
      want: `--config-net --pid ${PID} -t ::1/8080:80 --dns-forward 169.254.1.1 -u none -T none -U none --no-map-gw --quiet --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
    {
      name: 'mtu, ipv4 only, outbound addresses, interface name',
      o: { mtu: 1500, ipv6: false, outboundAddr4: '192.0.2.10', outboundAddr6: '2001:db8::10', interface: 'eth0' },
      want: `--config-net --pid ${PID} --mtu 1500 --ipv4-only --outbound 192.0.2.10 --outbound 2001:db8::10 --ns-ifname eth0 --dns-forward 169.254.1.1 -t none -u none -T none -U none --no-map-gw --quiet --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
    {
      name: 'dns forward and guest address chosen by the user',
      o: { dnsForward: '10.0.0.53', mapGuestAddr: '10.0.0.2' },
      want: `--config-net --pid ${PID} --dns-forward 10.0.0.53 -t none -u none -T none -U none --no-map-gw --quiet --netns ${NS} --map-guest-addr 10.0.0.2`,
    },
    {
      name: 'host loopback: gateway stays mapped to the host',
      o: { hostLoopback: true },
      want: `--config-net --pid ${PID} --dns-forward 169.254.1.1 -t none -u none -T none -U none --quiet --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
    {
      name: 'userns joined before the netns',
      o: { userns: '/proc/42/ns/user' },
      want: `--config-net --pid ${PID} --dns-forward 169.254.1.1 -t none -u none -T none -U none --no-map-gw --quiet --userns /proc/42/ns/user --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
    {
      name: 'debug instead of quiet',
      o: { debug: true },
      want: `--config-net --pid ${PID} --dns-forward 169.254.1.1 -t none -u none -T none -U none --no-map-gw --debug --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
    {
      name: 'extra args: -T given, --dns-forward given, pseudo --map-gw dropped',
      o: { extraArgs: ['-T', '5432', '--dns-forward', '10.1.1.1', '--map-gw'] },
      want: `--config-net --pid ${PID} -T 5432 --dns-forward 10.1.1.1 -t none -u none -U none --quiet --netns ${NS} --map-guest-addr 169.254.1.2`,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = pastaArgs(opts(c.o), c.f ?? pastaNew, PID);
      assert.equal(plan.args.join(' '), c.want);
    });
  }

  it('debug output goes to the log file when pasta has --log-file', () => {
    assert.match(pastaArgs(opts({ debug: true }), pastaNew, PID, '/s/k.log').args.join(' '), / --debug --log-file \/s\/k\.log --netns /);
    const noLogFile = { ...pastaOld, options: new Set([...pastaOld.options].filter((o) => o !== 'log-file')) };
    assert.match(pastaArgs(opts({ debug: true }), noLogFile, PID, '/s/k.log').args.join(' '), / --debug --netns /);
    assert.doesNotMatch(pastaArgs(opts(), pastaNew, PID, '/s/k.log').args.join(' '), /log-file/);
  });

  it('reports the DNS address the container should use', () => {
    assert.equal(pastaArgs(opts(), pastaNew, PID).dnsForward, '169.254.1.1');
    assert.equal(pastaArgs(opts({ dnsForward: '10.0.0.53' }), pastaNew, PID).dnsForward, '10.0.0.53');
    assert.equal(pastaArgs(opts({ extraArgs: ['--dns-forward', '10.1.1.1'] }), pastaNew, PID).dnsForward, '10.1.1.1');
  });

  it('refuses an explicit --map-guest-addr the installed pasta lacks', () => {
    assert.throws(() => pastaArgs(opts({ mapGuestAddr: '10.0.0.2' }), pastaOld, PID), /has no --map-guest-addr.*Upgrade|has no --map-guest-addr/);
  });

  it('needs --config-net and --userns from the installed pasta', () => {
    const bare = { version: 'pasta x', options: new Set(['dns-forward']) };
    assert.throws(() => pastaArgs(opts(), bare, PID), /has no --config-net/);
    const noUserns = { version: 'pasta x', options: new Set(['config-net', 'dns-forward']) };
    assert.throws(() => pastaArgs(opts({ userns: '/proc/1/ns/user' }), noUserns, PID), /has no --userns/);
  });
});
