/**
 * Integration: the refined error codes travel from a real skiffd to the client over its socket, and the
 * real skiff still exits with Multipass's code (2) for them: a download that fails and a sha256 mismatch
 * are `download-failed` and `checksum-mismatch`, no longer `catalog-unavailable`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonClient } from '../../src/client/daemon-client.js';
import { isSkiffError } from '../../src/core/errors.js';
import { MirrorServer } from '../harness/mirror-server.js';
import { mirrorTree, NOBLE } from '../harness/mirror-fixture.js';
import { SkiffDaemon } from '../harness/skiff-process.js';

describe('refined error codes over the socket', () => {
  let mirror: MirrorServer;
  let daemon: SkiffDaemon;
  let client: DaemonClient;

  before(async () => {
    const tree = mirrorTree();
    // The newest noble is served, but its bytes are not the ones the catalog's sha256 describes. Jammy's image
    // is not served at all (404).
    const newest = NOBLE.versions.at(-1)!;
    tree[`releases/${newest.path}`] = Buffer.alloc(newest.sizeBytes, 7);
    mirror = new MirrorServer({ tree });
    daemon = await SkiffDaemon.start({ mirror: await mirror.start() });
    client = new DaemonClient(daemon.socket);
  });
  after(async () => {
    await daemon?.stop();
    await mirror?.close();
  });

  /** The error a launch of `image` fails with, through the client. */
  async function launchError(image: string, name: string): Promise<unknown> {
    return client
      .launch({ image, name, timeout: 120 }, () => undefined)
      .then(
        () => assert.fail(`launch of ${image} succeeded`),
        (error: unknown) => error,
      );
  }

  test('an image the mirror does not have (HTTP 404) is download-failed; skiff exits 2', async () => {
    const error = await launchError('jammy', 'gone');
    assert.ok(isSkiffError(error), String(error));
    assert.equal(error.code, 'download-failed', error.message);
    assert.match(error.message, /http-404, http:\/\/127\.0\.0\.1:\d+\/releases\/server\/releases\/jammy\//);
    const cli = await daemon.cli(['launch', 'jammy', '-n', 'gone2']);
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /http-404/);
  });

  test('a sha256 mismatch is checksum-mismatch with both hashes in details; skiff exits 2', async () => {
    const error = await launchError('noble', 'corrupt');
    assert.ok(isSkiffError(error), String(error));
    assert.equal(error.code, 'checksum-mismatch', error.message);
    assert.equal(error.details?.expectedSha256, NOBLE.versions.at(-1)!.sha256);
    assert.match(String(error.details?.actualSha256), /^[0-9a-f]{64}$/);
    const cli = await daemon.cli(['launch', 'noble', '-n', 'corrupt2']);
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /is corrupt: its sha256 is [0-9a-f]{64} but the catalog says a{64}/);
    assert.deepEqual(await client.list(), { list: [] });
  });
});
