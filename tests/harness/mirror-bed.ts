/**
 * @module The usual e2e bed: the project's test image published in a mirror served on loopback, a work dir,
 * and a skiffd (user-mode networking, the harness's default) reading that mirror. stop() purges the
 * instances named, stops the daemon and the mirror and removes the work dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishImage, serveMirror, type ServedMirror } from './local-mirror.js';
import { buildTestImage } from './qemu-test-vm.js';
import { SkiffDaemon } from './skiff-process.js';

export class MirrorBed {
  private constructor(
    readonly work: string,
    readonly mirror: ServedMirror,
  ) {}

  static async start(prefix: string): Promise<MirrorBed> {
    const image = await buildTestImage();
    const work = await mkdtemp(join(tmpdir(), prefix));
    await publishImage(join(work, 'mirror'), image);
    return new MirrorBed(work, await serveMirror(join(work, 'mirror')));
  }

  /** skiffd on `data` in the work dir (a restart passes the same dir again), with extra `args`. */
  startDaemon(args: string[] = []): Promise<SkiffDaemon> {
    return SkiffDaemon.start({ mirror: this.mirror.url, dataDir: join(this.work, 'data'), args });
  }

  async stop(daemon: SkiffDaemon | undefined, instances: string[]): Promise<void> {
    if (daemon) {
      for (const name of instances) await daemon.cli(['delete', '--purge', name]).catch(() => undefined);
      await daemon.stop({ keepData: true });
    }
    this.mirror.stop();
    await rm(this.work, { recursive: true, force: true });
  }
}
