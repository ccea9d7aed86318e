/**
 * A hostile catalog costs bounded memory: an `index.json` over its 4 MiB cap and a products file over its
 * 64 MiB cap are refused with the `too-large` cause, the remote and the URL; and an image longer than the size
 * its products file states is cut there and leaves nothing in the vault. Real skiffd and skiff processes
 * against a loopback mirror.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { mirrorTree, NOBLE, RELEASE_INDEX } from '../harness/mirror-fixture.js';
import { MirrorServer, type MirrorTree } from '../harness/mirror-server.js';
import { SkiffDaemon } from '../harness/skiff-process.js';
import { join } from 'node:path';

const MIB = 1024 * 1024;
const DAILY_PRODUCTS = 'daily/streams/v1/com.ubuntu.cloud:daily:download.json';

/** Valid JSON, padded with whitespace to `bytes`: only its size is wrong. */
const padded = (json: string | Buffer, bytes: number) => `${String(json)}${' '.repeat(bytes - json.length)}`;

describe('hostile catalogs', () => {
  let mirror: MirrorServer;
  let daemon: SkiffDaemon;
  let normal: MirrorTree;

  before(async () => {
    normal = mirrorTree();
    assert.ok(normal[DAILY_PRODUCTS] !== undefined, 'the fixture names the daily products file');
    const hostile: MirrorTree = {
      ...normal,
      [RELEASE_INDEX]: padded(normal[RELEASE_INDEX]!, 5 * MIB),
      [DAILY_PRODUCTS]: padded(normal[DAILY_PRODUCTS]!, 65 * MIB),
    };
    mirror = new MirrorServer({ tree: hostile });
    await mirror.start();
    daemon = await SkiffDaemon.start({ mirror: mirror.url });
  });
  after(async () => {
    await daemon?.stop();
    await mirror?.close();
  });

  test('an index over 4 MiB and a products file over 64 MiB: too-large, naming the remote and the URL', async () => {
    await daemon.waitForRemotes((remotes) => remotes.every((r) => r.last_error !== null), 30_000);
    const byName = Object.fromEntries((await daemon.remotes()).map((r) => [r.name, r]));
    assert.deepEqual(byName['release']?.last_error, {
      cause: 'too-large',
      url: `${mirror.url}${RELEASE_INDEX}`,
      message: `too large: over the 4 MiB cap (it says ${5 * MIB} bytes)`,
    });
    assert.deepEqual(byName['daily']?.last_error, {
      cause: 'too-large',
      url: `${mirror.url}${DAILY_PRODUCTS}`,
      message: `too large: over the 64 MiB cap (it says ${65 * MIB} bytes)`,
    });
    const find = await daemon.cli(['find', '--force-update']);
    assert.notEqual(find.code, 0, find.stderr);
    assert.match(find.stderr, /release \(\S+index\.json\): too large: over the 4 MiB cap/);
    assert.match(find.stderr, /daily \(\S+download\.json\): too large: over the 64 MiB cap/);
  });

  test('an image longer than its stated size is cut there; nothing stays in the vault', async () => {
    // The products file states 1000 bytes; the server sends 64 KiB. The message shows the size stopped it,
    // not the sha256 check that would follow.
    const path = NOBLE.versions[1]!.path;
    mirror.setTree({ ...normal, [`releases/${path}`]: Buffer.alloc(64 * 1024, 7) });
    mirror.clearFaults();
    await daemon.cli(['find', '--force-update']);
    const launch = await daemon.cli(['launch', 'noble', '-n', 'oversized', '--timeout', '60']);
    assert.equal(launch.code, 2, launch.stderr);
    assert.match(launch.stderr, /too large: the image is stated to have 1000 bytes/);
    assert.match(launch.stderr, new RegExp(`${path.replaceAll('.', '\\.')}`));
    const vault = join(daemon.dataDir, 'vault');
    assert.deepEqual(await readdir(join(vault, 'partial')), []);
    assert.deepEqual(await readdir(join(vault, 'images')), []);
  });
});
