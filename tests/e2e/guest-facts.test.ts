/**
 * End to end: `info` while the guest stops answering SSH. A real skiffd and a test-image VM; the guest's SSH
 * server (dropbear) is frozen with SIGSTOP, so new connections hang in the handshake. `info` must keep
 * answering with the last facts read, marked stale with their age and the reason, instead of blanks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceInfoJson } from '../../src/api/contract.js';
import { MirrorBed } from '../harness/mirror-bed.js';
import type { SkiffDaemon } from '../harness/skiff-process.js';
import { sleep } from '../harness/skiff-process.js';

const NAME = 'facts';

describe('info while the guest does not answer SSH', { timeout: 15 * 60_000 }, () => {
  let bed: MirrorBed | undefined;
  let daemon: SkiffDaemon;

  const info = async (): Promise<InstanceInfoJson> => {
    const result = await daemon.cli(['info', NAME, '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as { info: Record<string, InstanceInfoJson> }).info[NAME]!;
  };

  before(async () => {
    bed = await MirrorBed.start('skiff-e2e-facts-');
    daemon = await bed.startDaemon();
    const launch = await daemon.cli(['launch', 'noble', '-n', NAME, '-m', '512M'], { timeoutMs: 600_000 });
    assert.equal(launch.code, 0, launch.stderr);
  });

  after(async () => {
    await bed?.stop(daemon, [NAME]);
  });

  test('a healthy guest: fresh facts, and the table looks like Multipass (no Guest facts line)', async () => {
    const facts = await info();
    assert.match(facts.release, /skiff test image/i);
    assert.equal(facts.load.length, 3);
    assert.equal(facts.guest_facts?.status, 'fresh');
    assert.equal(facts.guest_facts?.error, null);
    assert.equal(typeof facts.guest_facts?.age_s, 'number');
    assert.ok(!Number.isNaN(Date.parse(facts.guest_facts?.read_at ?? '')));
    const table = await daemon.cli(['info', NAME]);
    assert.doesNotMatch(table.stdout, /Guest facts/);
  });

  test('SSH frozen in the guest: the last facts, marked stale with their age and why', async () => {
    const before = await info();
    const freeze = await daemon.cli([
      'exec',
      NAME,
      '--',
      'sudo',
      'sh',
      '-c',
      'kill -STOP $(cat /run/dropbear.pid)',
    ]);
    assert.equal(freeze.code, 0, freeze.stderr);
    // The cache reads the guest every 5 s while asked; the first read after the freeze fails after 5 s.
    let facts = await info();
    for (let i = 0; i < 120 && facts.guest_facts?.error == null; i++) {
      await sleep(1_000);
      facts = await info();
    }
    assert.equal(facts.guest_facts?.status, 'stale', JSON.stringify(facts.guest_facts));
    assert.match(facts.guest_facts?.error ?? '', /^guest not answering: /);
    assert.ok((facts.guest_facts?.age_s ?? 0) > 0);
    assert.equal(facts.guest_facts?.read_at !== null, true);
    // The Multipass fields still hold what was read before the freeze, not blanks.
    assert.equal(facts.release, before.release);
    assert.deepEqual(facts.disks, before.disks);
    assert.deepEqual(facts.ipv4, before.ipv4);

    const table = await daemon.cli(['info', NAME]);
    assert.match(table.stdout, /^Release:\s+\S/m);
    assert.match(table.stdout, /^Guest facts:\s+read \d+ (s|min) ago: guest not answering: /m);
  });
});
