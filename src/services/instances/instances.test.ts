import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settle } from '../../testing/fake-clock.js';
import { fakeInstancesDeps } from '../../testing/fake-instances-deps.js';
import { FakeNetwork } from '../../testing/fake-network.js';
import { readMultipart } from '../../testing/mime-reader.js';
import { InstancesService, type InstancesDeps } from './instances.js';
import { reconcileInstances } from './reconcile.js';
import { InstanceStore } from './store.js';

const SHA = 'a'.repeat(64);
const quiet = { info: () => undefined, warn: () => undefined };

async function setup(options: { mode?: 'nat' | 'user'; network?: FakeNetwork } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-instances-'));
  const store = new InstanceStore(dataDir);
  await store.load();
  const deps = {
    ...fakeInstancesDeps(dataDir, store, { sha: SHA }),
    networkMode: () => options.mode ?? 'user',
    ...(options.network ? { network: options.network } : {}),
  };
  const { driver, shell, images, clock } = deps;
  const service = new InstancesService(deps);
  const progress: string[] = [];
  const ctx = { progress: (m: string) => progress.push(m) };
  return {
    dataDir,
    store,
    driver,
    shell,
    images,
    service,
    progress,
    ctx,
    clock,
    deps,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** A daemon start on the same data: a fresh store and service, then reconcile, as skiffd does. */
async function restartDaemon(t: Awaited<ReturnType<typeof setup>>, log: InstancesDeps['log'] = quiet) {
  const store = new InstanceStore(t.dataDir);
  await store.load();
  const service = new InstancesService({ ...t.deps, store, log });
  const report = await reconcileInstances({
    store,
    driver: t.driver,
    images: t.images,
    instances: service,
    identityDir: t.deps.identityDir,
    log,
  });
  return { store, service, report };
}

test('launch resolves the alias, makes disk and seed, starts the VM and waits for cloud-init', async () => {
  const t = await setup();
  try {
    const record = await t.service.launch(
      { image: 'noble', name: 'web', cpus: 2, memory: '2G', disk: '10G' },
      t.ctx,
    );
    assert.equal(record.state, 'Running');
    assert.equal(record.launched, true);
    assert.deepEqual([record.cpus, record.memoryBytes, record.diskBytes], [2, 2 * 2 ** 30, 10 * 2 ** 30]);
    assert.equal(record.image.id, SHA);
    assert.equal(record.image.releaseTitle, '24.04 LTS');
    assert.deepEqual(t.progress.slice(0, 2), ['Launching web', 'Retrieving image']);
    assert.ok(t.progress.includes('Waiting for initialization to complete'));
    const seed = t.driver.vm('web').cloudInit;
    assert.match(seed['meta-data'], /local-hostname: "web"/);
    const skiffPart = readMultipart(seed['user-data']).parts.at(-1)?.body ?? '';
    assert.match(skiffPart, /- "ssh-ed25519 AAAA skiff"/);
    assert.match(skiffPart, /ed25519_public: "ssh-ed25519 AAAAhostweb web"/);
    assert.equal(t.driver.vm('web').start?.nics[0]?.mac, t.store.get('web')?.mac);
    assert.ok(t.images.users.get(SHA)?.has('web'));
    const [view] = await t.service.list();
    assert.equal(view?.state, 'Running');
  } finally {
    await t.cleanup();
  }
});

test('a failed launch leaves nothing behind', async () => {
  const t = await setup();
  try {
    t.driver.failStart = new Error('qemu: could not open disk');
    await assert.rejects(t.service.launch({ image: 'noble', name: 'broken' }, t.ctx), /could not open disk/);
    assert.equal(t.store.has('broken'), false);
    assert.equal(t.driver.vms.has('broken'), false, 'the driver destroyed what it made');
    await assert.rejects(stat(join(t.deps.identityDir, 'broken')), /ENOENT/);
    assert.equal(t.images.users.get(SHA)?.has('broken'), false);
  } finally {
    await t.cleanup();
  }
});

test('invalid input is rejected before anything is made, naming every problem', async () => {
  const t = await setup();
  try {
    await assert.rejects(
      t.service.launch({ image: 'noble', name: '1bad' }, t.ctx),
      /Invalid instance name supplied: 1bad \(/,
    );
    await assert.rejects(
      t.service.launch({ image: 'noble', cpus: 0, memory: '100M', disk: 'lots' }, t.ctx),
      (e: Error) =>
        /--cpus/.test(e.message) &&
        /--memory: 100M is below the minimum of 512M/.test(e.message) &&
        /lots is not a valid memory size - need .*\(--disk\)/.test(e.message),
    );
    await assert.rejects(t.service.launch({ image: 'noble', cloudInit: 'a:\n\tb: 1' }, t.ctx), /cloud-init/);
    await assert.rejects(t.service.launch({ image: 'nosuch' }, t.ctx), /no image matching "nosuch"/);
    assert.deepEqual(t.store.all(), []);
    assert.deepEqual(t.driver.calls, []);
  } finally {
    await t.cleanup();
  }
});

test('two concurrent launches with one name: one succeeds, the other gets a conflict', async () => {
  const t = await setup();
  try {
    const results = await Promise.allSettled([
      t.service.launch({ image: 'noble', name: 'twin' }, t.ctx),
      t.service.launch({ image: 'noble', name: 'twin' }, t.ctx),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.match(String(rejected.reason), /already exists/);
    assert.equal((rejected.reason as { code: string }).code, 'conflict');
  } finally {
    await t.cleanup();
  }
});

test('stop, start, suspend, resume, restart move through Multipass states', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'vm' }, t.ctx);
    assert.equal((await t.service.stop('vm')).state, 'Stopped');
    await assert.rejects(t.service.suspend('vm'), /cannot suspend "vm": it is stopped/);
    assert.equal((await t.service.start('vm')).state, 'Running');
    assert.equal((await t.service.suspend('vm')).state, 'Suspended');
    await assert.rejects(t.service.stop('vm'), /suspended; use "stop --force"/);
    assert.equal((await t.service.start('vm')).state, 'Running');
    assert.ok(t.driver.calls.includes('start vm resume'), t.driver.calls.join('\n'));
    assert.equal((await t.service.restart('vm')).state, 'Running');
    assert.equal((await t.service.stop('vm', { force: true })).state, 'Stopped');
  } finally {
    await t.cleanup();
  }
});

test('delayed shutdown fires on the clock, and can be cancelled', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'later' }, t.ctx);
    assert.equal((await t.service.stop('later', { delayMinutes: 5 })).state, 'Delayed Shutdown');
    assert.equal((await t.service.stop('later', { cancel: true })).state, 'Running');
    await t.clock.advance(6 * 60_000);
    assert.equal(t.store.get('later')?.state, 'Running');
    await t.service.stop('later', { delayMinutes: 1 });
    await t.clock.advance(60_000);
    // The shutdown writes the state file (real I/O): give it a bounded moment.
    for (let i = 0; i < 100 && t.store.get('later')?.state !== 'Stopped'; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(t.store.get('later')?.state, 'Stopped');
  } finally {
    t.service.stopTimers();
    await t.cleanup();
  }
});

test('delete, recover, delete --purge and purge', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'a' }, t.ctx);
    await t.service.launch({ image: 'noble', name: 'b' }, t.ctx);
    await t.service.delete('a');
    assert.equal(t.store.get('a')?.state, 'Deleted');
    await assert.rejects(
      t.service.start('a'),
      /Instance 'a' is deleted\. Use 'recover' to recover it or 'purge' to permanently delete it\.$/,
    );
    assert.equal((await t.service.recover('a')).state, 'Stopped');
    await t.service.delete('b', { purge: true });
    assert.equal(t.store.has('b'), false);
    await t.service.delete('a');
    assert.deepEqual(await t.service.purge(), ['a']);
    assert.deepEqual(t.store.all(), []);
    assert.equal(t.images.users.get(SHA)?.size, 0);
  } finally {
    await t.cleanup();
  }
});

test('list and info do not wait behind a long operation on another instance', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'busy' }, t.ctx);
    await t.service.launch({ image: 'noble', name: 'idle' }, t.ctx);
    await t.service.stop('busy');
    let open: () => void = () => undefined;
    t.driver.startGate = new Promise((resolve) => (open = resolve));
    const starting = t.service.start('busy');
    await settle();
    const views = await t.service.list();
    assert.deepEqual(
      views.map((v) => [v.record.name, v.state]),
      [
        ['busy', 'Starting'],
        ['idle', 'Running'],
      ],
    );
    const info = await t.service.info('idle');
    assert.equal(info.guest?.status, 'fresh');
    assert.equal(info.guest?.facts?.release, 'Fake OS 1.0');
    assert.deepEqual(info.guest?.facts?.load, [0.1, 0.2, 0.3]);
    open();
    assert.equal((await starting).state, 'Running');
  } finally {
    await t.cleanup();
  }
});

test('reconcile re-adopts running VMs, marks dead ones stopped and removes interrupted launches', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'alive' }, t.ctx);
    await t.service.launch({ image: 'noble', name: 'dead' }, t.ctx);
    t.driver.crash('dead');
    await t.store.put({ ...t.store.get('alive')!, name: 'halfway', launched: false, state: 'Starting' });
    const { store, report } = await restartDaemon(t);
    assert.deepEqual(report, {
      adopted: ['alive'],
      stopped: ['dead'],
      removedUnfinished: ['halfway'],
      settlingSuspends: [],
    });
    assert.deepEqual(
      store.all().map((r) => [r.name, r.state]),
      [
        ['alive', 'Running'],
        ['dead', 'Stopped'],
      ],
    );
  } finally {
    await t.cleanup();
  }
});

test('launch: a guest session that times out is tried again; only the deadline ends the wait', async () => {
  const t = await setup();
  try {
    t.shell.slowSessions = 2;
    const record = await t.service.launch({ image: 'noble', name: 'slow' }, t.ctx);
    assert.equal(record.state, 'Running');
    assert.equal(t.shell.commands.filter((c) => c.includes('boot-finished')).length, 3);
  } finally {
    await t.cleanup();
  }
});

test('launch: cloud-init errors are a warning naming the failing modules and the log; the instance stays', async () => {
  const t = await setup();
  try {
    t.shell.cloudInitStatus = JSON.stringify({
      status: 'error',
      errors: ["('scripts_user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))"],
    });
    const warnings: string[] = [];
    const record = await t.service.launch(
      { image: 'noble', name: 'oops' },
      { ...t.ctx, warn: (m) => warnings.push(m) },
    );
    assert.equal(record.state, 'Running');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /cloud-init in "oops" finished with errors \(status: error\)/);
    assert.match(warnings[0]!, /scripts_user.*Runparts: 1 failures/);
    assert.match(warnings[0]!, /\/var\/log\/cloud-init\.log/);
  } finally {
    await t.cleanup();
  }
});

test('start waits for cloud-init when the first boot did not finish it, within --timeout', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'vm' }, t.ctx);
    await t.service.stop('vm');
    t.shell.commands.length = 0;
    const progress: string[] = [];
    await t.service.start('vm', { timeoutS: 30, progress: (m) => progress.push(m) });
    // The fake guest reports boot-finished: start checked, and did not wait.
    assert.equal(t.shell.commands.filter((c) => c.startsWith('test -e')).length, 1);
    assert.equal(progress.length, 0);
    const original = t.shell.run.bind(t.shell);
    t.shell.run = async (target, command) =>
      command.startsWith('test -e') ? { code: 1, stdout: '', stderr: '' } : original(target, command);
    await t.service.stop('vm');
    await t.service.start('vm', { timeoutS: 30, progress: (m) => progress.push(m) });
    assert.deepEqual(progress, ['Waiting for initialization to complete']);
    assert.ok(t.shell.commands.some((c) => c.includes('cloud-init status')));
  } finally {
    await t.cleanup();
  }
});

test('concurrent info calls share one guest read and one power probe; a stopped instance has no guest facts', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'web' }, t.ctx);
    const factsReads = () => t.shell.commands.filter((c) => c.includes('/proc/loadavg')).length;
    const probesBefore = t.driver.powerProbes;
    const infos = await Promise.all(Array.from({ length: 50 }, () => t.service.info('web')));
    assert.ok(infos.every((i) => i.guest?.status === 'fresh' && i.guest.facts?.release === 'Fake OS 1.0'));
    assert.equal(factsReads(), 1);
    assert.equal(t.driver.powerProbes - probesBefore, 1);
    await t.service.stop('web');
    const stopped = await t.service.info('web');
    assert.equal(stopped.state, 'Stopped');
    assert.equal(stopped.guest, null);
  } finally {
    t.service.stopTimers();
    await t.cleanup();
  }
});

test('a suspend the daemon died during is finished when the state was saved, undone when not', async () => {
  const t = await setup();
  try {
    for (const name of ['saved', 'unsaved', 'exited', 'paused', 'running'])
      await t.service.launch({ image: 'noble', name }, t.ctx);
    // As the dead daemon left them: the record says Suspending, QEMU is wherever the crash caught it.
    for (const name of ['saved', 'unsaved', 'exited', 'running'])
      await t.store.update(name, (r) => (r.state = 'Suspending'));
    t.driver.interruptSuspend('saved', 'after-save');
    t.driver.interruptSuspend('unsaved', 'before-save');
    t.driver.interruptSuspend('exited', 'exited');
    // A record written by an older daemon that re-adopted the paused VM as Running.
    t.driver.interruptSuspend('paused', 'after-save');
    const callsBefore = t.driver.calls.length;
    const { store, service, report } = await restartDaemon(t);
    assert.deepEqual(report.settlingSuspends, ['exited', 'paused', 'running', 'saved', 'unsaved']);
    assert.deepEqual(report.adopted, []);
    // Settling runs in each instance's queue: an operation given meanwhile waits for it.
    const info = service.start('unsaved');
    for (const name of report.settlingSuspends) await service.idle(name);
    assert.deepEqual(
      store.all().map((r) => [r.name, r.state]),
      [
        ['exited', 'Suspended'],
        ['paused', 'Suspended'],
        ['running', 'Running'],
        ['saved', 'Suspended'],
        ['unsaved', 'Running'],
      ],
    );
    assert.equal(await t.driver.instance('saved').power(), 'suspended', 'QEMU ended, state kept');
    assert.equal(await t.driver.instance('unsaved').power(), 'running', 'the paused guest was resumed');
    assert.equal((await info).state, 'Running');
    const since = t.driver.calls.slice(callsBefore);
    assert.ok(!since.some((c) => c.startsWith('start unsaved')), 'no reboot: it was resumed');
    // The finished suspend resumes like any other.
    assert.equal((await service.start('saved')).state, 'Running');
    assert.ok(t.driver.calls.includes('start saved resume'));
  } finally {
    await t.cleanup();
  }
});

test('a suspend that cannot be settled leaves the record Unknown (start and stop still work), not stuck', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'stuck' }, t.ctx);
    await t.store.update('stuck', (r) => (r.state = 'Suspending'));
    t.driver.failSettle = new Error('QMP timed out');
    const warnings: string[] = [];
    const service = new InstancesService({
      ...t.deps,
      log: { info: () => undefined, warn: (_o, msg) => warnings.push(msg) },
    });
    assert.equal((await service.settleInterruptedSuspend('stuck')).state, 'Unknown');
    assert.deepEqual(warnings, ['could not settle an interrupted suspend']);
    assert.equal((await service.stop('stuck', { force: true })).state, 'Stopped');
  } finally {
    await t.cleanup();
  }
});

test('a launch ends at its deadline on the injected clock, undoing what it made', async () => {
  const t = await setup();
  try {
    t.shell.slowSessions = Number.MAX_SAFE_INTEGER; // the guest never answers
    const launching = t.service.launch({ image: 'noble', name: 'late', timeoutS: 30 }, t.ctx);
    const outcome = launching.then(
      () => null,
      (error: unknown) => error,
    );
    while (!t.progress.includes('Waiting for initialization to complete')) await settle();
    await t.clock.advance(29_999);
    assert.equal(t.store.has('late'), true, 'still waiting just before the deadline');
    await t.clock.advance(1);
    const error = (await outcome) as { code?: string; message?: string } | null;
    assert.equal(error?.code, 'timeout');
    assert.match(error?.message ?? '', /launch of "late" timed out after 30 s/);
    assert.equal(t.store.has('late'), false);
    assert.equal(t.driver.vms.has('late'), false);
  } finally {
    await t.cleanup();
  }
});

test('a resume a crash interrupted (state restored, not yet dropped) is adopted and its stale state dropped', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'woke' }, t.ctx);
    t.driver.interruptResume('woke');
    const warnings: string[] = [];
    const log = { info: () => undefined, warn: (_o: object, msg: string) => warnings.push(msg) };
    const { service, report } = await restartDaemon(t, log);
    assert.deepEqual(report.adopted, ['woke']);
    assert.ok(t.driver.calls.includes('discardSuspend woke'));
    assert.deepEqual(warnings, ['dropped a suspend state that an interrupted resume left behind']);
    // A later start boots the disk as it is: it must not resume (and so roll back to) the stale state.
    await service.stop('woke');
    await service.start('woke');
    assert.equal(t.driver.calls.at(-1), 'start woke');
  } finally {
    await t.cleanup();
  }
});

test('NAT mode: the primary NIC joins the bridge, SSH goes to the reserved address, kept across a restart', async () => {
  const network = new FakeNetwork();
  const t = await setup({ mode: 'nat', network });
  try {
    await t.service.launch({ image: 'noble', name: 'web' }, t.ctx);
    const record = t.store.get('web');
    assert.deepEqual(record?.network, { mode: 'nat', ipv4: '10.9.9.2' });
    assert.deepEqual(t.driver.vm('web').start?.nics, [
      { mac: record?.mac, attach: { kind: 'bridge', bridge: 'fakebr0' } },
    ]);
    assert.equal(t.driver.vm('web').start?.sshAddress, '10.9.9.2');
    assert.equal((await t.service.sshTarget('web')).host, '10.9.9.2');
    assert.equal((await t.service.sshTarget('web')).port, 22);
    await t.service.launch({ image: 'noble', name: 'db' }, t.ctx);
    assert.equal(t.store.get('db')?.network?.ipv4, '10.9.9.3');
    await t.service.stop('web');
    await t.service.start('web');
    assert.equal(t.driver.vm('web').start?.sshAddress, '10.9.9.2');
    // Soft delete keeps the address for recover; purge gives it back.
    await t.service.delete('web');
    assert.ok(network.reservations.has('web'));
    await t.service.delete('web', { purge: true });
    assert.ok(!network.reservations.has('web'));
  } finally {
    await t.cleanup();
  }
});

test("NAT mode without skiff's network (a daemon not run as root) is refused before anything is made", async () => {
  const t = await setup({ mode: 'nat' });
  try {
    await assert.rejects(
      t.service.launch({ image: 'noble', name: 'web' }, t.ctx),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'unsupported');
        assert.match(error.message, /local\.network-mode=user/);
        return true;
      },
    );
    assert.equal(t.store.all().length, 0);
    assert.equal(t.images.users.size, 0);
  } finally {
    await t.cleanup();
  }
});

test('a launch that fails in NAT mode gives its address back', async () => {
  const network = new FakeNetwork();
  const t = await setup({ mode: 'nat', network });
  try {
    t.driver.failStart = new Error('qemu: could not open disk');
    await assert.rejects(t.service.launch({ image: 'noble', name: 'web' }, t.ctx), /could not open disk/);
    assert.equal(network.reservations.size, 0);
    assert.equal(t.store.all().length, 0);
  } finally {
    await t.cleanup();
  }
});

test('records from before networks boot user-mode', async () => {
  const t = await setup({ mode: 'nat', network: new FakeNetwork() });
  try {
    await t.service.launch({ image: 'noble', name: 'old' }, t.ctx);
    await t.store.update('old', (r) => delete r.network);
    await t.service.stop('old');
    await t.service.start('old');
    assert.deepEqual(t.driver.vm('old').start?.nics[0]?.attach, { kind: 'user' });
    assert.equal((await t.service.sshTarget('old')).host, '127.0.0.1');
  } finally {
    await t.cleanup();
  }
});

test('suspend is refused while the instance has mounts: a saved state cannot hold shared folders', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'web' }, t.ctx);
    await t.store.update('web', (r) => {
      r.mounts = [
        { source: '/srv/a', target: '/srv/a', type: 'native', tag: 'm0', uidMap: [], gidMap: [] },
      ] as NonNullable<typeof r.mounts>;
    });
    await assert.rejects(t.service.suspend('web'), /cannot suspend "web": it has mounts/);
    assert.equal(t.store.get('web')?.state, 'Running');
  } finally {
    await t.cleanup();
  }
});
