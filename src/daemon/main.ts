/**
 * @module skiffd entry point: options, logger, composition, socket, signals.
 */
import { homedir } from 'node:os';
import { relative, isAbsolute } from 'node:path';
import { destination, pino } from 'pino';
import { isSkiffError } from '../core/errors.js';
import { skiffVersion } from '../core/install-root.js';
import { compose } from './compose.js';
import { composeNetwork } from './compose-network.js';
import { DAEMON_USAGE, parseDaemonOptions } from './options.js';
import { buildServer } from './server.js';
import { serverIdentity } from './server-identity.js';
import { formatServerAddress } from '../api/server-address.js';
import { clearStaleSocket, removeSocket, restrictSocket } from './socket.js';

async function main(): Promise<number> {
  const options = parseDaemonOptions(process.argv.slice(2), {
    env: process.env,
    uid: process.getuid?.() ?? 0,
    home: homedir(),
  });
  if (options.help) {
    process.stdout.write(`${DAEMON_USAGE}\n`);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`skiffd ${skiffVersion()}\n`);
    return 0;
  }
  if (options.removeNetwork) return removeNetwork(options.dataDir, options.logLevel);
  // Whatever skiffd or its children (QEMU, qemu-img, ssh-keygen) create is for root alone: images, disks,
  // keys, state. The socket is the one thing opened up, explicitly (restrictSocket).
  process.umask(0o077);
  const logger = pino({ level: options.logLevel, base: { pid: process.pid } });
  await clearStaleSocket(options.socket);
  const { services, stop } = await compose({
    dataDir: options.dataDir,
    version: skiffVersion(),
    logger,
    tuning: options.tuning,
    imageMirror: options.imageMirror,
    networkMode: options.networkMode,
  });
  // The same routes over HTTPS (up before the socket, so a daemon that answers there serves both), in an
  // app of its own: fastify serves one server per instance, and every
  // hook and plugin (the client gate, upgrades) then applies to both listeners alike.
  let remote: Awaited<ReturnType<typeof buildServer>> | null = null;
  if (options.address !== null) {
    const identity = await serverIdentity(options.dataDir);
    remote = await buildServer(services, logger, { tls: identity });
    await remote.listen({ host: options.address.host, port: options.address.port });
    logger.info(
      {
        address: formatServerAddress({ kind: 'tcp', ...options.address }),
        certificate: identity.certPath,
        fingerprint: identity.fingerprint,
        made: identity.made,
      },
      'serving HTTPS for remote clients',
    );
  }
  const app = await buildServer(services, logger);
  await app.listen({ path: options.socket });
  const group = await restrictSocket(options.socket);
  if (group !== null && isInside(options.socket, options.dataDir))
    logger.warn(
      { socket: options.socket, dataDir: options.dataDir },
      'the socket is inside the data dir, which only its owner may enter: group members cannot reach it',
    );
  logger.info(
    { socket: options.socket, dataDir: options.dataDir, group, version: skiffVersion() },
    'skiffd ready',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await Promise.all([app.close(), remote?.close()]);
    await stop();
    await removeSocket(options.socket);
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return -1;
}

/** `skiffd --remove-network`: tears skiff's NAT network down and says what went. */
async function removeNetwork(dataDir: string, logLevel: string): Promise<number> {
  const logger = pino({ level: logLevel, base: { pid: process.pid } }, destination(2));
  const { network } = await composeNetwork({ dataDir, logger });
  const removed = await network.teardown();
  if (removed.length === 0) process.stdout.write("skiff's network: nothing to remove\n");
  for (const line of removed) process.stdout.write(`removed ${line}\n`);
  return 0;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    const message = isSkiffError(error)
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`skiffd: ${message}\n`);
    process.exit(isSkiffError(error) && error.code === 'invalid-argument' ? 1 : 2);
  },
);
