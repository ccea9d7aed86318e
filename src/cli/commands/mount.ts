/**
 * @module `skiff mount SOURCE NAME[:TARGET]... [-t native|classic] [-u HOST:GUEST]... [-g HOST:GUEST]...`.
 * Every word is checked before the daemon is asked; then each target is mounted in turn, and every failure is
 * said (the first one's exit code is the command's).
 */
import { isSkiffError } from '../../core/errors.js';
import { parseIdMap, parseMountType, splitMountPoint } from '../../core/mount-spec.js';
import { exitCodeFor } from '../exit-codes.js';
import { resolveMountSource } from '../mount-source.js';
import { defineVerb, operand, repeatable, value } from '../verb.js';

export const verb = defineVerb({
  name: 'mount',
  description:
    'Mount a local directory in instances (now if it runs, else from its next start; kept across restarts)',
  operands: {
    source: operand('<source>', 'path of the local directory to mount'),
    targets: operand(
      '<targets...>',
      "mount points, NAME[:PATH]; PATH defaults to the source's absolute path, a relative one is under /home/ubuntu",
    ),
  },
  options: {
    type: value(
      '-t, --type <type>',
      'native (virtiofs, or 9p; root only) or classic (SSHFS, served with your rights); default: native for root, classic for others',
    ),
    uidMap: repeatable(
      '-u, --uid-map <host:instance>',
      'map a host uid to a guest uid (repeatable; default: ids unchanged)',
    ),
    gidMap: repeatable(
      '-g, --gid-map <host:instance>',
      'map a host gid to a guest gid (repeatable; default: ids unchanged)',
    ),
  },
  async run(args, ctx) {
    const type = args.type === undefined ? undefined : parseMountType(args.type);
    const uidMaps = (args.uidMap ?? []).map((m) => parseIdMap(m, 'UID'));
    const gidMaps = (args.gidMap ?? []).map((m) => parseIdMap(m, 'GID'));
    const points = args.targets.map(splitMountPoint);
    const source = await resolveMountSource(args.source);
    let exit = 0;
    for (const point of points) {
      try {
        const added = await ctx.withDaemon((client) =>
          client.addMount(point.name, {
            source_path: source,
            ...(point.target !== undefined && { target_path: point.target }),
            ...(type !== undefined && { type }),
            ...(uidMaps.length > 0 && { uid_mappings: uidMaps }),
            ...(gidMaps.length > 0 && { gid_mappings: gidMaps }),
          }),
        );
        if (added.pending !== undefined)
          ctx.stderr.write(
            `${added.instance}: ${added.target_path} is mounted from the next start: ${added.pending}\n`,
          );
      } catch (error) {
        if (!isSkiffError(error) || error.code === 'daemon-unreachable' || points.length === 1) throw error;
        ctx.stderr.write(`${error.message}\n`);
        if (exit === 0) exit = exitCodeFor(error.code);
      }
    }
    return exit;
  },
});
