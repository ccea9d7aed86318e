/**
 * @module `skiff umount NAME[:PATH]...` (`unmount`): without PATH, every mount of the instance.
 */
import { isSkiffError } from '../../core/errors.js';
import { splitMountPoint } from '../../core/mount-spec.js';
import { exitCodeFor } from '../exit-codes.js';
import { defineVerb, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'umount',
  aliases: ['unmount'],
  description: 'Unmount a directory from an instance',
  operands: {
    mounts: operand('<mounts...>', 'mount points, NAME[:PATH]; without PATH, every mount of NAME'),
  },
  async run(args, ctx) {
    const points = args.mounts.map(splitMountPoint);
    let exit = 0;
    for (const point of points) {
      try {
        await ctx.withDaemon((client) => client.umount(point.name, point.target));
      } catch (error) {
        if (!isSkiffError(error) || error.code === 'daemon-unreachable' || points.length === 1) throw error;
        ctx.stderr.write(`${error.message}\n`);
        if (exit === 0) exit = exitCodeFor(error.code);
      }
    }
    return exit;
  },
});
