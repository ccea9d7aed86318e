import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { mountTag } from '../../core/mount-spec.js';
import { FakeDriver, FakeGuestShell } from '../../testing/fake-vm.js';
import { fakeInstancesDeps } from '../../testing/fake-instances-deps.js';
import { InstancesService } from '../instances/instances.js';
import type { SshTarget } from '../instances/ports.js';
import { InstanceStore } from '../instances/store.js';
import { mountCommand, umountCommand } from './guest-commands.js';
import { MOUNTS_DISABLED, MountsService, type MountRequest } from './mounts-service.js';
import type { Caller, SftpFeed, SftpFeedOptions, SourceAccess } from './ports.js';

/** A feed that starts nothing: it records what it was asked, and ends at once when `failWith` is set. */
class FakeFeed implements SftpFeed {
  readonly started: SftpFeedOptions[] = [];
  failWith: string | null = null;
  /** Called as the feed starts (the test's guest gets its mount). */
  onStart = () => undefined as void;
  async start(options: SftpFeedOptions) {
    this.started.push(options);
    if (this.failWith === null) this.onStart();
    const failWith = this.failWith;
    return {
      exited: failWith === null ? new Promise<string>(() => undefined) : Promise.resolve(failWith),
      stop: () => undefined,
    };
  }
}

/** A guest shell whose commands matching `fail` exit 1; `sshfs` says whether the guest has it. */
class Shell extends FakeGuestShell {
  fail: RegExp | null = null;
  sshfs = false;
  /** Whether awk finds a mount in /proc/mounts. */
  mounted = true;
  override async run(target: SshTarget, command: string) {
    if (command.startsWith('awk ')) {
      this.commands.push(command);
      return { code: this.mounted ? 0 : 1, stdout: '', stderr: '' };
    }
    if (command.includes('command -v sshfs')) {
      this.commands.push(command);
      return { code: this.sshfs ? 0 : 1, stdout: '', stderr: '' };
    }
    if (this.fail?.test(command)) {
      this.commands.push(command);
      return { code: 32, stdout: '', stderr: 'mount: unknown filesystem type' };
    }
    return super.run(target, command);
  }
}

const ME: Caller = { uid: 1001, gid: 1001 };
/** Native mounts are root's (see nativeRefusal). */
const ROOT: Caller = { uid: 0, gid: 0 };
/** The host: every path under /home/me is a directory of uid 1001. */
const access: SourceAccess = {
  resolve: async (path) => {
    if (!path.startsWith('/home/me')) throw new SkiffError('not-found', `"${path}" does not exist`);
    return path.replace('/home/me/link', '/etc');
  },
  inspect: async () => ({ directory: true, ownerUid: 1001 }),
  canRead: async (_path, caller) => caller.uid === 1001,
};

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-mounts-'));
  const store = new InstanceStore(dataDir);
  await store.load();
  const driver = new FakeDriver();
  const shell = new Shell();
  const feed = new FakeFeed();
  let enabled = true;
  const mounts = new MountsService({
    store,
    driver,
    shell,
    sshTarget: (name) => instances.sshTarget(name),
    access,
    feed,
    protectedTrees: ['/etc'],
    enabled: () => enabled,
    log: { info: () => undefined, warn: () => undefined },
  });
  const instances: InstancesService = new InstancesService({
    ...fakeInstancesDeps(dataDir, store),
    driver,
    shell,
    lifecycle: mounts,
    bootShares: (record) => mounts.bootShares(record),
  });
  const launch = (name: string, extra: { mounts?: Awaited<ReturnType<typeof mounts.prepare>>[] } = {}) =>
    instances.launch({ image: 'noble', name, ...extra }, { progress: () => undefined });
  return {
    store,
    driver,
    shell,
    feed,
    mounts,
    instances,
    launch,
    disable: () => (enabled = false),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

const request = (source: string, target?: string, type: 'native' | 'classic' = 'native'): MountRequest => ({
  source,
  ...(target !== undefined && { target }),
  type,
  uidMap: [],
  gidMap: [],
});
const mountCommands = (shell: FakeGuestShell) => shell.commands.filter((c) => /mount/.test(c));

test('a running instance: shared now (virtiofs), mounted in the guest, recorded; umount undoes both', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    const view = await t.mounts.add('web', request('/home/me/src', 'code'), ROOT);
    const tag = mountTag('/home/ubuntu/code');
    assert.equal(view.active, true);
    assert.equal(view.transport, 'virtiofs');
    assert.deepEqual([...t.driver.vm('web').shares.keys()], [tag]);
    assert.deepEqual(mountCommands(t.shell), [mountCommand('virtiofs', tag, '/home/ubuntu/code')]);
    assert.deepEqual(t.store.get('web')?.mounts, [
      {
        source: '/home/me/src',
        target: '/home/ubuntu/code',
        type: 'native',
        uidMap: [],
        gidMap: [],
        tag,
        transport: 'virtiofs',
        owner: ROOT,
      },
    ]);

    assert.deepEqual(await t.mounts.remove('web', 'code'), ['/home/ubuntu/code']);
    assert.equal(mountCommands(t.shell).at(-1), umountCommand('/home/ubuntu/code'));
    assert.equal(t.driver.calls.at(-1), `detach web ${tag}`);
    assert.deepEqual([...t.driver.vm('web').shares.keys()], []);
    assert.equal(t.store.get('web')?.mounts, undefined);
  } finally {
    await t.cleanup();
  }
});

test('a stopped instance: recorded only; its next start shares it from the boot and mounts it', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.instances.stop('web');
    const view = await t.mounts.add('web', request('/home/me/src'), ROOT);
    assert.equal(view.active, false);
    assert.deepEqual(
      t.driver.calls.filter((c) => c.startsWith('attach')),
      [],
      'nothing attached to a stopped VM',
    );
    assert.deepEqual(mountCommands(t.shell), []);

    t.driver.virtiofs = false; // 9p: only a boot carries it
    await t.instances.start('web');
    const tag = mountTag('/home/me/src');
    assert.deepEqual(
      t.driver.vm('web').start?.mounts?.map((s) => [s.tag, s.source]),
      [[tag, '/home/me/src']],
    );
    assert.equal(t.store.get('web')?.mounts?.[0]?.transport, '9p');
    assert.deepEqual(mountCommands(t.shell), [mountCommand('9p', tag, '/home/me/src')]);
    // A restart mounts it again; so does a daemon start (activateAll) for a running instance.
    await t.instances.restart('web');
    await t.mounts.activateAll();
    assert.equal(mountCommands(t.shell).length, 3);
  } finally {
    await t.cleanup();
  }
});

test('launch --mount: recorded before the first boot, carried by it and mounted once launched', async () => {
  const t = await setup();
  try {
    const entry = await t.mounts.prepare(request('/home/me/src', '/src'), ROOT);
    await t.launch('web', { mounts: [entry] });
    assert.deepEqual(
      t.driver.vm('web').start?.mounts?.map((s) => s.tag),
      [mountTag('/src')],
    );
    assert.equal(mountCommands(t.shell).length, 1);
    assert.deepEqual(
      t.mounts.list('web').map((m) => [m.target, m.active, m.transport]),
      [['/src', true, 'virtiofs']],
    );
  } finally {
    await t.cleanup();
  }
});

test('refused with nothing recorded: duplicate target, rights, symlink, classic, disabled, failed guest mount', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.mounts.add('web', request('/home/me/a', '/data'), ROOT);
    const before = structuredClone(t.store.get('web')?.mounts);
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [
        () => t.mounts.add('web', request('/home/me/b', '/data'), ROOT),
        'conflict',
        /^"\/data" is already mounted in 'web'$/,
      ],
      [
        () => t.mounts.add('ghost', request('/home/me/b'), ROOT),
        'not-found',
        /instance 'ghost' does not exist/,
      ],
      [
        () => t.mounts.add('web', request('/home/me/b', '/proc'), ROOT),
        'invalid-argument',
        /^unable to mount to "\/proc"$/,
      ],
      [
        () => t.mounts.add('web', request('/home/me/b'), { uid: 1002, gid: 1002 }),
        'permission-denied',
        /only its owner/,
      ],
      [
        () => t.mounts.add('web', request('/home/me/b'), null),
        'permission-denied',
        /a remote client \(over TCP\) has none/,
      ],
      [() => t.mounts.add('web', request('/home/me/link', '/x'), ROOT), 'permission-denied', /symbolic link/],
      [
        () => t.mounts.add('web', request('/nope'), ROOT),
        'invalid-argument',
        /^Source path "\/nope" does not exist$/,
      ],
      [
        () => t.mounts.add('web', request('/home/me/b', '/c', 'classic'), ROOT),
        'missing-dependency',
        /classic mounts need sshfs in the guest, and 'web' has none: install it there/,
      ],
    ];
    for (const [run, code, message] of cases)
      await assert.rejects(
        run,
        (e: unknown) => e instanceof SkiffError && e.code === code && message.test(e.message),
      );
    t.shell.sshfs = true;
    t.shell.mounted = false;
    t.feed.failWith = 'ssh ended (exit 1): fuse: device not found';
    await assert.rejects(
      t.mounts.add('web', request('/home/me/b', '/c', 'classic'), ROOT),
      (e: unknown) =>
        e instanceof SkiffError &&
        e.code === 'internal' &&
        e.message ===
          `classic mount of "/home/me/b" in 'web' failed: ssh ended (exit 1): fuse: device not found`,
    );
    t.shell.mounted = true;
    t.shell.fail = /sudo mount/;
    await assert.rejects(
      t.mounts.add('web', request('/home/me/b', '/d'), ROOT),
      /mount in 'web' failed \(exit 32\)/,
    );
    assert.equal(t.driver.calls.at(-1), `detach web ${mountTag('/d')}`, 'the share withdrawn');
    t.disable();
    await assert.rejects(
      t.mounts.add('web', request('/home/me/b', '/e'), ROOT),
      (e: unknown) =>
        e instanceof SkiffError && e.code === 'permission-denied' && e.message === MOUNTS_DISABLED,
    );
    assert.deepEqual(t.store.get('web')?.mounts, before);
    await assert.rejects(
      t.mounts.remove('web', '/nowhere'),
      /^SkiffError: path "\/nowhere" is not mounted in 'web'$/,
    );
  } finally {
    await t.cleanup();
  }
});

test('a driver without the mounts capability: refused before anything, launch --mount included', async () => {
  const t = await setup();
  try {
    const plain = new FakeDriver({
      suspend: true,
      resize: true,
      snapshots: false,
      mounts: false,
      extraNics: false,
      forward: true,
    });
    const mounts = new MountsService({
      store: t.store,
      driver: plain,
      shell: t.shell,
      sshTarget: () => Promise.reject(new Error('not asked')),
      access,
      feed: new FakeFeed(),
      protectedTrees: [],
      enabled: () => true,
      log: { info: () => undefined, warn: () => undefined },
    });
    await assert.rejects(
      mounts.prepare(request('/home/me/src'), ROOT),
      (e: unknown) =>
        e instanceof SkiffError && e.code === 'unsupported' && /does not support mounts/.test(e.message),
    );
  } finally {
    await t.cleanup();
  }
});

test('umount without a target removes every mount; a boot leaves out a source that became a symlink', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.instances.stop('web');
    await t.mounts.add('web', request('/home/me/a', '/a'), ROOT);
    await t.mounts.add('web', request('/home/me/b', '/b'), ROOT);
    // Swapped since: the record says /home/me/link/x, which now resolves elsewhere.
    await t.store.update('web', (r) =>
      r.mounts!.push({ ...r.mounts![0]!, source: '/home/me/link/x', target: '/l', tag: mountTag('/l') }),
    );
    await t.instances.start('web');
    assert.deepEqual(
      t.driver.vm('web').start?.mounts?.map((s) => s.source),
      ['/home/me/a', '/home/me/b'],
    );
    assert.deepEqual((await t.mounts.remove('web')).sort(), ['/a', '/b', '/l']);
    assert.equal(t.store.get('web')?.mounts, undefined);
  } finally {
    await t.cleanup();
  }
});

test('9p only: a mount on a running instance waits for the next start, and says why', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    t.driver.virtiofs = false;
    const view = await t.mounts.add('web', request('/home/me/src', '/src'), ROOT);
    assert.equal(view.active, false);
    assert.match(view.pending ?? '', /a 9p share can only be added at boot/);
    assert.deepEqual(mountCommands(t.shell), [], 'nothing mounted in the guest');
    assert.equal(t.store.get('web')?.mounts?.length, 1, 'recorded');
    await t.instances.restart('web');
    assert.deepEqual(
      t.driver.vm('web').start?.mounts?.map((s) => s.tag),
      [mountTag('/src')],
    );
    assert.equal(mountCommands(t.shell).length, 1);
  } finally {
    await t.cleanup();
  }
});

test('an id map the driver cannot honour: refused before anything is recorded, launch --mount too', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.instances.stop('web');
    const mapped = { ...request('/home/me/src', '/src'), uidMap: [{ host: 1001, guest: 1000 }] };
    await assert.rejects(
      t.mounts.add('web', mapped, ROOT),
      (e: unknown) =>
        e instanceof SkiffError && e.code === 'unsupported' && /ids cannot be mapped/.test(e.message),
    );
    assert.equal(t.store.get('web')?.mounts, undefined);
    await assert.rejects(
      t.mounts.checkShares([await t.mounts.prepare(mapped, ROOT)]),
      /ids cannot be mapped/,
    );
    t.driver.translatesIds = true;
    await t.mounts.add('web', mapped, ROOT);
    await t.instances.start('web');
    assert.deepEqual(t.driver.vm('web').start?.mounts?.[0]?.uidMap, [{ host: 1001, guest: 1000 }]);
    // A share the driver refuses at a boot (its host changed) is left out; the instance still starts.
    t.driver.translatesIds = false;
    await t.instances.restart('web');
    assert.deepEqual(t.driver.vm('web').start?.mounts, []);
  } finally {
    await t.cleanup();
  }
});

test('classic: the feed runs as the caller, the caller is the default user inside; back after a restart', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    t.shell.sshfs = true;
    const view = await t.mounts.add('web', request('/home/me/src', '/src', 'classic'), ME);
    assert.equal(view.active, true);
    assert.equal(view.transport, 'sshfs');
    assert.deepEqual(view.uidMap, [{ host: 1001, guest: 1000 }]);
    assert.deepEqual(view.gidMap, [{ host: 1001, guest: 1000 }]);
    assert.equal(t.feed.started.length, 1);
    const started = t.feed.started[0]!;
    assert.deepEqual(started.owner, ME);
    assert.equal(started.source, '/home/me/src');
    assert.match(
      started.command,
      /exec sudo sshfs -o slave,allow_other,idmap=file,.* ':\/home\/me\/src' '\/src'$/,
    );
    assert.deepEqual(t.driver.vm('web').shares.size, 0, 'no driver share for a classic mount');
    // A restart: the guest lost it (nothing healthy at the target), so it is mounted again.
    t.shell.mounted = false;
    t.feed.onStart = () => (t.shell.mounted = true);
    await t.instances.restart('web');
    await t.mounts.running(t.store.get('web')!);
    assert.ok(t.feed.started.length >= 2, 'mounted again after the restart');
    // The daemon restarted while the guest kept it: a healthy mount is left alone.
    const count = t.feed.started.length;
    await t.mounts.activateAll();
    assert.equal(t.feed.started.length, count);
    assert.deepEqual(await t.mounts.remove('web', '/src'), ['/src']);
    assert.ok(t.shell.commands.some((c) => c === umountCommand('/src')));
    assert.ok(!t.driver.calls.some((c) => c.startsWith('detach')), 'no driver share to withdraw');
  } finally {
    await t.cleanup();
  }
});

test('supervision: a share whose virtiofsd died is said to be down, with the way out, until a restart', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.mounts.add('web', request('/home/me/src', '/src'), ROOT);
    const tag = mountTag('/src');
    assert.deepEqual(await t.mounts.findDeadShares(), []);
    t.driver.deadShares.add(tag);
    assert.deepEqual(await t.mounts.findDeadShares(), ['web:/src']);
    const [view] = t.mounts.list('web');
    assert.equal(view?.active, false);
    assert.equal(view?.pending, "its virtiofsd died: restart 'web' to mount it again");
    // A restart boots with a new virtiofsd for every share.
    await t.instances.restart('web');
    t.driver.deadShares.delete(tag);
    assert.deepEqual(await t.mounts.findDeadShares(), []);
    assert.equal(t.mounts.list('web')[0]?.active, true);
  } finally {
    await t.cleanup();
  }
});

test('a member who is not root: classic by default, native refused (a guest could leave setuid-root files)', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.instances.stop('web');
    await assert.rejects(
      t.mounts.add('web', request('/home/me/src', '/src', 'native'), ME),
      (e: unknown) =>
        e instanceof SkiffError &&
        e.code === 'permission-denied' &&
        /native mounts are served by root.*as uid 1001, use --type classic/.test(e.message),
    );
    assert.equal(t.store.get('web')?.mounts, undefined);
    const { type: _omitted, ...untyped } = request('/home/me/src', '/src');
    const view = await t.mounts.add('web', untyped, ME);
    assert.equal(view.type, 'classic');
    assert.equal((await t.mounts.add('web', { ...untyped, target: '/r' }, ROOT)).type, 'native');
  } finally {
    await t.cleanup();
  }
});
