/**
 * @module Proves TestNetwork gives a real "network not ready yet": before up() a client fails fast with the
 * errors a booting machine shows, after up() it succeeds (also a process started before up()), after down()
 * it fails again, and stop() leaves no process or namespace behind. Skips with a reason when namespaces are
 * unavailable, but fails under CI.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TestNetwork } from './netns.js';
import { waitFor } from './ns-process.js';

/** Fetches argv[1] once and prints `ok <status>` or `err <code>`; the code is on `cause` for network errors. */
const FETCH_ONCE = `fetch(process.argv[1], { signal: AbortSignal.timeout(5000) })
  .then(async (r) => { await r.text(); console.log('ok', r.status); })
  .catch((e) => console.log('err', e.cause?.code ?? e.name));`;

/** Fetches every URL in a loop forever, printing `<url> ok|err <status|code>`: a stand-in for the daemon. */
const FETCH_LOOP = `(async () => { for (;;) {
  for (const url of process.argv.slice(1)) {
    try { const r = await fetch(url, { signal: AbortSignal.timeout(1000) }); await r.text(); console.log(url, 'ok', r.status); }
    catch (e) { console.log(url, 'err', e.cause?.code ?? e.name); }
  }
  await new Promise((r) => setTimeout(r, 25));
} })();`;

const ms = (since: number): string => `${(performance.now() - since).toFixed(1)} ms`;

function netnsInode(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

function processesInNetns(inode: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/net`) === inode) pids.push(Number(name));
    } catch {
      // the process exited while we looked
    }
  }
  return pids;
}

describe('TestNetwork.skipReason', () => {
  it('never skips under CI, so an unusable host fails instead of passing silently', () => {
    assert.equal(TestNetwork.skipReason({ CI: 'true' }), false);
    const local = TestNetwork.skipReason({});
    assert.equal(local === false, TestNetwork.available().ok);
  });
});

describe('TestNetwork', { skip: TestNetwork.skipReason() }, () => {
  const net = new TestNetwork();
  const byName = 'http://images.test:8080/streams/v1/index.json';
  const byIp = 'http://10.200.1.1:8080/streams/v1/index.json';
  const fetchOnce = (url: string): Promise<string> =>
    net
      .execInClient([process.execPath, '-e', FETCH_ONCE, url], { timeoutMs: 10_000 })
      .then((out) => out.trim());
  const seen: { atMs: number; line: string }[] = [];
  let daemon: ChildProcess | undefined;
  let setupTimings = '';

  /** Resolves once the looping client printed `state` for both URLs after `sinceMs`; returns the delay. */
  async function daemonSees(state: 'ok' | 'err', sinceMs: number): Promise<number> {
    const hits = (url: string): number | undefined =>
      seen.find((s) => s.atMs >= sinceMs && s.line.startsWith(`${url} ${state}`))?.atMs;
    await waitFor(() => hits(byName) !== undefined && hits(byIp) !== undefined, {
      timeoutMs: 8000,
      what: `the looping client to see ${state}`,
    });
    return Math.max(hits(byName) ?? 0, hits(byIp) ?? 0) - sinceMs;
  }

  before(async () => {
    let t = performance.now();
    await net.start();
    const startMs = ms(t);
    t = performance.now();
    await net.startServices({ mirrorTree: { 'streams/v1/index.json': '{"format":"index:1.0"}' } });
    setupTimings = `start() took ${startMs}, startServices() took ${ms(t)}`;
  });
  after(() => net.stop());

  it('before up(): DNS fails with EAI_AGAIN/ENOTFOUND and the mirror IP with ENETUNREACH', async (t) => {
    t.diagnostic(setupTimings);
    daemon = net.runInClient([process.execPath, '-e', FETCH_LOOP, byName, byIp]);
    daemon.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line !== '') seen.push({ atMs: performance.now(), line });
    });
    let started = performance.now();
    assert.match(await fetchOnce(byName), /^err (EAI_AGAIN|ENOTFOUND)$/);
    t.diagnostic(`DNS failure seen in ${ms(started)} (includes node startup)`);
    started = performance.now();
    assert.equal(await fetchOnce(byIp), 'err ENETUNREACH');
    t.diagnostic(`ENETUNREACH seen in ${ms(started)} (includes node startup)`);
    await daemonSees('err', 0);
  });

  it('after up(): both succeed, also in a process that started before the network was up', async (t) => {
    const started = performance.now();
    await net.up();
    t.diagnostic(`up() took ${ms(started)}`);
    const recovered = await daemonSees('ok', started);
    t.diagnostic(`long-lived client succeeded ${recovered.toFixed(1)} ms after up() began`);
    assert.equal(await fetchOnce(byName), 'ok 200');
    assert.equal(await fetchOnce(byIp), 'ok 200');
    assert.ok(net.dnsQueries.some((q) => q.name === 'images.test' && q.rcode === 'NOERROR'));
    assert.ok(net.mirrorRequests.some((r) => r.path === '/streams/v1/index.json' && r.status === 200));
  });

  it('the namespaced mirror takes faults over its control channel', async () => {
    await net.mirrorControl({ op: 'fault', fault: { action: { kind: 'status', code: 500 } } });
    assert.equal(await fetchOnce(byIp), 'ok 500');
    await net.mirrorControl({ op: 'clear-faults' });
    assert.equal(await fetchOnce(byIp), 'ok 200');
    await net.dnsControl({ op: 'records', records: {} });
    assert.equal(await fetchOnce(byName), 'err ENOTFOUND');
    await net.dnsControl({ op: 'records', records: { 'images.test': net.mirrorIp } });
  });

  it('after down(): both fail again', async (t) => {
    const started = performance.now();
    await net.down();
    t.diagnostic(`down() took ${ms(started)}`);
    assert.match(await fetchOnce(byName), /^err (EAI_AGAIN|ENOTFOUND)$/);
    assert.equal(await fetchOnce(byIp), 'err ENETUNREACH');
    const failed = await daemonSees('err', performance.now());
    t.diagnostic(`long-lived client failing again within ${failed.toFixed(1)} ms`);
    for (const url of [byName, byIp]) {
      t.diagnostic(
        `long-lived client after down(): "${seen.filter((s) => s.line.startsWith(url)).at(-1)?.line}"`,
      );
    }
  });

  it('stop(): no process and no namespace left behind', async (t) => {
    const pids = net.livePids;
    const inodes = [netnsInode(net.clientPid), netnsInode(net.serverPid)];
    assert.ok(pids.length >= 5, `holders, dns, mirror and the looping client: ${pids.join(',')}`);
    assert.ok(daemon?.pid !== undefined && pids.includes(daemon.pid));
    const started = performance.now();
    await net.stop();
    t.diagnostic(`stop() took ${ms(started)}`);
    assert.deepEqual(net.livePids, []);
    for (const pid of pids)
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} is gone`);
    for (const inode of inodes) assert.deepEqual(processesInNetns(inode), [], `nothing left in ${inode}`);
  });
});
