/**
 * @module Program: `node sftp-relay.js INSTANCE`, run by `sftp -D` (see sftp-run.ts). Carries SFTP between
 * its stdin/stdout and the instance's sftp subsystem over skiffd's exec websocket, byte for byte. It reaches
 * the daemon exactly as the CLI that started it does (the same context, from the inherited environment).
 * Its messages go to stderr, which sftp passes on; the exit code is 255 when the session could not start.
 */
import { createContext } from '../context.js';

const [instance] = process.argv.slice(2);
if (instance === undefined) {
  process.stderr.write('usage: sftp-relay INSTANCE\n');
  process.exit(2);
}
try {
  const channel = await createContext(0).withDaemon((client) => client.exec(instance, { subsystem: 'sftp' }));
  process.exitCode = await channel.run({
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  });
} catch (error) {
  process.stderr.write(`skiff: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 255;
} finally {
  process.stdin.destroy();
}
