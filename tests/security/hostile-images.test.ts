/**
 * End to end: a hostile qcow2 (a backing file, or an external data file, naming a root-only host file) never
 * enters the image cache, whichever way it comes: `file://` (plain, `.gz`, `.xz`), `http://` from a loopback
 * server, or a catalog image of a `skiff mirror build` mirror. Each launch fails naming the field, and the
 * vault holds nothing afterwards (no image, no partial download) and no instance is left.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findExecutable } from '../../src/backends/qemu/process.js';
import { publishImage, serveMirror, type ServedMirror } from '../harness/local-mirror.js';
import { MirrorServer } from '../harness/mirror-server.js';
import { SkiffDaemon } from '../harness/skiff-process.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const KINDS = [
  { kind: 'backing', field: 'backing-filename', create: (secret: string) => ['-F', 'raw', '-b', secret] },
  {
    kind: 'data-file',
    field: 'format-specific.data.data-file',
    create: (secret: string) => ['-o', `data_file=${secret}`],
  },
] as const;
const tools = (await findExecutable('qemu-img')) !== null && (await findExecutable('xz')) !== null;

describe(
  'hostile images are refused by every route',
  { skip: tools ? false : 'needs qemu-img and xz' },
  () => {
    let work = '';
    let http: MirrorServer;
    let mirror: ServedMirror;
    let daemon: SkiffDaemon;
    const images = new Map<string, string>();

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'skiff-sec-images-'));
      const secret = join(work, 'secret.raw');
      await writeFile(secret, Buffer.alloc(MIB, 'S'), { mode: 0o600 });
      const tree: Record<string, Buffer> = {};
      for (const { kind, create } of KINDS) {
        const path = join(work, `${kind}.qcow2`);
        await run('qemu-img', ['create', '-q', '-f', 'qcow2', ...create(secret), path, String(MIB)]);
        images.set(kind, path);
        await run('sh', ['-c', `gzip -k -c "${path}" > "${path}.gz" && xz -k -c "${path}" > "${path}.xz"`]);
        tree[`${kind}.qcow2`] = await readFile(path);
        await publishImage(join(work, 'mirror'), path, {
          release: kind === 'backing' ? 'hostileb' : 'hostiled',
          version: kind === 'backing' ? '90.04' : '91.04',
          aliases: `hostile-${kind}`,
          title: `hostile ${kind}`,
          streams: ['releases'],
        });
      }
      http = new MirrorServer({ tree });
      await http.start();
      mirror = await serveMirror(join(work, 'mirror'));
      daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir: join(work, 'data') });
    });

    after(async () => {
      await daemon?.stop();
      mirror?.stop();
      await http?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    const launch = (image: string, name: string) =>
      daemon.cli(['launch', image, '-n', name, '--timeout', '120'], { timeoutMs: 180_000 });

    for (const { kind, field } of KINDS) {
      test(`${kind}: file:// (plain, .gz, .xz), http:// and a mirror's catalog image are all refused`, async () => {
        const path = images.get(kind)!;
        const routes = [
          `file://${path}`,
          `file://${path}.gz`,
          `file://${path}.xz`,
          `${http.url}${kind}.qcow2`,
          `hostile-${kind}`,
        ];
        for (const [i, image] of routes.entries()) {
          const result = await launch(image, `sec-${kind}-${i}`);
          assert.notEqual(result.code, 0, `${image} was launched: ${result.stdout}`);
          assert.match(
            result.stderr,
            new RegExp(`is refused: .*\\(${field.replaceAll('.', '\\.')}: `),
            image,
          );
          assert.match(result.stderr, /secret\.raw/, image);
        }
      });
    }

    test('afterwards the vault holds no image and no partial download, and no instance exists', async () => {
      const vault = join(daemon.dataDir, 'vault');
      await mkdir(join(vault, 'images'), { recursive: true });
      assert.deepEqual(await readdir(join(vault, 'images')), []);
      assert.deepEqual(await readdir(join(vault, 'partial')), []);
      const cached = JSON.parse((await daemon.cli(['images', '--format', 'json'])).stdout) as {
        images: unknown[];
      };
      assert.deepEqual(cached.images, []);
      const list = JSON.parse((await daemon.cli(['list', '--format', 'json'])).stdout) as { list: unknown[] };
      assert.deepEqual(list.list, []);
      // The mirror really served the hostile images: the refusals above came after the download.
      assert.ok(http.requests.some((r) => r.path.endsWith('backing.qcow2') && r.status === 200));
      assert.match(mirror.log(), /hostileb|backing\.qcow2/);
    });
  },
);
