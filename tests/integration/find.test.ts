/**
 * Integration: skiffd and skiff as real processes against a simplestreams mirror on loopback.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MirrorServer } from '../harness/mirror-server.js';
import { JAMMY, mirrorTree, NOBLE } from '../harness/mirror-fixture.js';
import { SkiffDaemon } from '../harness/skiff-process.js';

describe('find against a loopback mirror', () => {
  let mirror: MirrorServer;
  let daemon: SkiffDaemon;

  before(async () => {
    mirror = new MirrorServer({ tree: mirrorTree() });
    const url = await mirror.start();
    daemon = await SkiffDaemon.start({ mirror: url });
  });
  after(async () => {
    await daemon?.stop();
    await mirror?.close();
  });

  test('blank find lists supported aliased images in Multipass JSON shape', async () => {
    const { code, stdout, stderr } = await daemon.cli(['find', '--format', 'json']);
    assert.equal(code, 0, stderr);
    const parsed = JSON.parse(stdout) as {
      errors: string[];
      images: Record<
        string,
        { aliases: string[]; remote: string; version: string; release: string; os: string }
      >;
    };
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(Object.keys(parsed.images).sort(), ['22.04', '24.04', 'daily:25.10'].sort());
    assert.deepEqual(parsed.images['24.04']!.aliases, ['lts', 'noble']);
    assert.equal(parsed.images['24.04']!.version, '20251120');
    assert.equal(parsed.images['24.04']!.release, '24.04 LTS');
    assert.equal(parsed.images['daily:25.10']!.remote, 'daily');
    assert.ok(!('20.04' in parsed.images), 'unsupported focal is hidden');
  });

  test('--show-unsupported reveals unsupported images', async () => {
    const { code, stdout } = await daemon.cli(['find', '--show-unsupported', '--format', 'json']);
    assert.equal(code, 0);
    assert.ok('20.04' in (JSON.parse(stdout) as { images: object }).images);
  });

  test('table, csv and yaml formats', async () => {
    const table = await daemon.cli(['find']);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^Image\s+Aliases\s+Version\s+Description\n/);
    assert.match(table.stdout, /\n24\.04\s+lts,noble\s+20251120\s+Ubuntu 24\.04 LTS\n/);
    const csv = await daemon.cli(['find', '--format', 'csv']);
    assert.match(csv.stdout, /^Image,Remote,Aliases,OS,Release,Version\n/);
    assert.match(csv.stdout, /\n24\.04,release,lts;noble,Ubuntu,24\.04 LTS,20251120\n/);
    const yaml = await daemon.cli(['find', '--format', 'yaml']);
    assert.match(yaml.stdout, /images:\n/);
    assert.match(yaml.stdout, /"24\.04":|'24\.04':/);
  });

  test('find STRING by alias, release and remote prefix', async () => {
    const byAlias = JSON.parse((await daemon.cli(['find', 'jammy', '--format', 'json'])).stdout) as {
      images: Record<string, { version: string }>;
    };
    assert.equal(byAlias.images['jammy']?.version, JAMMY.versions[0]!.serial);
    const daily = JSON.parse((await daemon.cli(['find', 'daily:noble', '--format', 'json'])).stdout) as {
      images: Record<string, { remote: string }>;
    };
    assert.deepEqual(Object.keys(daily.images), ['daily:noble']);
    assert.equal(daily.images['daily:noble']?.remote, 'daily');
  });

  test('an unknown image or remote is a clear error', async () => {
    const none = await daemon.cli(['find', 'nosuchthing']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no image matching "nosuchthing"/);
    const remote = await daemon.cli(['find', 'nosuch:noble']);
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /remote "nosuch" is unknown \(known remotes: release, daily\)/);
  });

  test('remotes shows both remotes fresh, with URLs and times, and never fetches', async () => {
    mirror.clearRequests();
    const { code, stdout } = await daemon.cli(['remotes', '--format', 'json']);
    assert.equal(code, 0);
    const { remotes } = JSON.parse(stdout) as { remotes: Array<Record<string, unknown>> };
    assert.deepEqual(
      remotes.map((r) => [r.name, r.state, r.last_error]),
      [
        ['release', 'fresh', null],
        ['daily', 'fresh', null],
      ],
    );
    assert.equal(remotes[0]!.url, `${mirror.url}releases/`);
    assert.match(String(remotes[0]!.last_success), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(String(remotes[0]!.next_attempt), /^\d{4}-\d\d-\d\dT/);
    const table = await daemon.cli(['remotes']);
    assert.match(table.stdout, /^Name\s+State\s+Updated\s+Next attempt\s+URL\s+Last error\n/);
    assert.equal(mirror.requests.length, 0, 'remotes must not trigger a fetch');
  });

  test('--force-update refetches now and revalidates with the ETag (304, no new download)', async () => {
    mirror.clearRequests();
    const { code } = await daemon.cli(['find', '--force-update']);
    assert.equal(code, 0);
    const products = mirror.requests.filter((r: { path: string }) =>
      r.path.endsWith('released:download.json'),
    );
    assert.equal(products.length, 1);
    assert.equal(products[0]!.status, 304);
    assert.ok(products[0]!.headers['if-none-match']);
  });

  test('a changed products file is downloaded on refresh and aliases move to the newest version', async () => {
    const newer = {
      ...NOBLE,
      versions: [
        ...NOBLE.versions,
        { serial: '20251124', path: 'server/noble-new.img', sizeBytes: 1, sha256: 'e'.repeat(64) },
      ],
    };
    mirror.setTree(mirrorTree({ releases: [newer, JAMMY] }));
    const { stdout } = await daemon.cli(['find', '--force-update', 'noble', '--format', 'json']);
    const images = (JSON.parse(stdout) as { images: Record<string, { version: string }> }).images;
    assert.equal(images['noble']?.version, '20251124');
    mirror.setTree(mirrorTree());
  });

  test('version, and the OpenAPI document served by the daemon', async () => {
    const version = JSON.parse((await daemon.cli(['version', '--format', 'json'])).stdout) as Record<
      string,
      string
    >;
    assert.match(version.skiff!, /^\d+\.\d+\.\d+/);
    assert.equal(version.skiffd, version.skiff);
    const openapi = await daemon.get('/1.0/openapi.json');
    assert.equal(openapi.status, 200);
    const doc = JSON.parse(openapi.body) as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    for (const path of ['/1.0/version', '/1.0/remotes', '/1.0/images', '/1.0/wait-ready', '/1.0/settings']) {
      assert.ok(path in doc.paths, `${path} in OpenAPI`);
    }
  });

  test('bad API input gets a 4xx naming the field', async () => {
    const bad = await daemon.get('/1.0/images?timeout=soon');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /timeout/);
    const extra = await daemon.get('/1.0/images?colour=blue');
    assert.equal(extra.status, 400);
    assert.match(extra.body, /colour/);
    const unknown = await daemon.get('/1.0/nothing');
    assert.equal(unknown.status, 404);
  });
});
