import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DnsmasqServer } from './dnsmasq.js';

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;
const reservations = [{ name: 'web', mac: '52:54:00:00:00:01', ipv4: '10.9.9.2' }];

describe('DnsmasqServer files (no process: the namespace test runs dnsmasq)', () => {
  let dir: string;
  let umask: number;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-dnsmasq-'));
    await chmod(dir, 0o711);
    // The daemon's umask: the run dir and its new parents must still be enterable by user nobody.
    umask = process.umask(0o077);
  });
  after(async () => {
    process.umask(umask);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the reservations world-readable into a run dir it makes enterable, despite umask 077', async () => {
    const runDir = join(dir, 'a', 'b', 'run');
    const server = new DnsmasqServer({ stateDir: join(dir, 'state'), runDir });
    await server.setReservations(reservations, 'skiff');
    for (const d of [join(dir, 'a'), join(dir, 'a', 'b'), runDir]) assert.equal(await mode(d), 0o755, d);
    assert.equal(await readFile(join(runDir, 'dhcp-hosts'), 'utf8'), '52:54:00:00:00:01,10.9.9.2,web\n');
    assert.equal(await readFile(join(runDir, 'hosts'), 'utf8'), '10.9.9.2 web.skiff web\n');
    assert.equal(await mode(join(runDir, 'hosts')), 0o644);
    assert.equal(await server.running(), null);
    assert.deepEqual(await server.leases(), new Map());
    assert.equal(await server.stop({ removeFiles: true }), null);
    await assert.rejects(stat(runDir), { code: 'ENOENT' });
  });

  it('a pidfile naming a process that is not our dnsmasq is not adopted', async () => {
    const stateDir = join(dir, 'state2');
    const server = new DnsmasqServer({ stateDir, runDir: join(dir, 'run2') });
    await server.setReservations([], 'skiff');
    await mkdir(stateDir, { recursive: true });
    await writeFile(server.paths.pidFile, `${process.pid}\n`);
    assert.equal(await server.running(), null, 'this test process is no dnsmasq');
    assert.equal(await server.stop(), null);
    await assert.rejects(stat(server.paths.pidFile), { code: 'ENOENT' }, 'the stale pidfile is gone');
  });

  it('refuses a run dir that user nobody cannot reach, naming the blocking directory', async () => {
    const closed = join(dir, 'closed');
    const server = new DnsmasqServer({ stateDir: join(dir, 'state3'), runDir: join(closed, 'run') });
    await server.setReservations([], 'skiff').catch(() => undefined);
    await chmod(closed, 0o700);
    await assert.rejects(
      server.setReservations(reservations, 'skiff'),
      new RegExp(`${closed} does not let other users enter it`),
    );
  });
});
