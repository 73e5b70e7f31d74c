import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanHelperOutput, findBinary, parseHelpOptions, parseVersion, checkTun } from '../../../src/rootless/probe.js';

// Excerpts of the real help texts (pasta 2023-03-09 with no syslog, slirp4netns 1.2.0).
const PASTA_HELP = `Failed to send 51 bytes to syslog
Usage: pasta [OPTION]... [COMMAND] [ARGS]...
  -d, --debug\t\tBe verbose
  -P, --pid FILE\tWrite own PID to the given file
  --dns-forward ADDR\tForward DNS queries sent to ADDR
Failed to send 47 bytes to syslog
  --no-map-gw\t\tDon't map gateway address to host
  --userns NSPATH \tTarget user namespace to join
  --config-net\t\tConfigure tap interface in namespace`;
const SLIRP_HELP = `Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]
-r, --ready-fd=FD        specify the FD to write to when the network is configured
-6, --enable-ipv6        enable IPv6 (experimental)
--cidr=CIDR              specify network address CIDR (default=10.0.2.0/24)
--userns-path=PATH\t specify user namespace path`;

describe('probe parsing', () => {
  it('finds pasta long options', () => {
    const o = parseHelpOptions(cleanHelperOutput(PASTA_HELP));
    for (const k of ['debug', 'pid', 'dns-forward', 'no-map-gw', 'userns', 'config-net']) assert.ok(o.has(k), k);
    assert.ok(!o.has('map-guest-addr'));
  });
  it('finds slirp4netns long options with =ARG', () => {
    const o = parseHelpOptions(SLIRP_HELP);
    for (const k of ['ready-fd', 'enable-ipv6', 'cidr', 'userns-path']) assert.ok(o.has(k), k);
  });
  it('drops syslog noise', () => {
    assert.doesNotMatch(cleanHelperOutput(PASTA_HELP), /syslog/);
  });
  it('reads versions', () => {
    assert.equal(parseVersion('slirp4netns version 1.2.0\ncommit: 656041d\n'), 'slirp4netns version 1.2.0');
    assert.equal(parseVersion('pasta 2024_08_21.1d6142f\nCopyright Red Hat\n'), 'pasta 2024_08_21.1d6142f');
    assert.equal(parseVersion('pasta unknown version\nCopyright'), 'pasta unknown version');
    assert.equal(parseVersion(''), 'unknown version');
  });
});

describe('findBinary / checkTun', () => {
  it('finds an executable in PATH and says what to install otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-probe-'));
    writeFileSync(join(dir, 'pasta'), '#!/bin/sh\n');
    chmodSync(join(dir, 'pasta'), 0o755);
    assert.equal(findBinary('pasta', `/nonexistent:${dir}`), join(dir, 'pasta'));
    assert.throws(() => findBinary('slirp4netns', dir), (e: Error & { hint?: string }) => /slirp4netns not found in PATH/.test(e.message) && /apt install slirp4netns/.test(e.hint ?? ''));
    assert.throws(() => findBinary('pasta', '/nonexistent'), (e: Error & { hint?: string }) => /"passt" package/.test(e.hint ?? ''));
  });
  it('explains a missing tun device', () => {
    assert.throws(() => checkTun('/nonexistent/tun'), (e: Error & { hint?: string }) => /is missing/.test(e.message) && /modprobe tun/.test(e.hint ?? ''));
  });
});
