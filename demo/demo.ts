/**
 * @module `npm run demo`: skiff's catalog behaviour end to end on a machine with no internet. A simplestreams
 * mirror on loopback stands in for the Ubuntu image servers; a temporary skiffd is pointed at it.
 * (Booting VMs joins this demo when the VM lifecycle lands.)
 */
import { MirrorServer } from '../tests/harness/mirror-server.js';
import { mirrorTree } from '../tests/harness/mirror-fixture.js';
import { SkiffDaemon, sleep } from '../tests/harness/skiff-process.js';

const bold = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);

async function step(daemon: SkiffDaemon, title: string, args: string[]): Promise<void> {
  console.log(`\n${bold(`== ${title}`)}\n$ skiff ${args.join(' ')}`);
  const { code, stdout, stderr } = await daemon.cli(args);
  process.stdout.write(stdout);
  if (stderr) process.stdout.write(`${stderr.trimEnd().replace(/^/gm, '  (stderr) ')}\n`);
  console.log(`  (exit code ${code})`);
}

async function main(): Promise<void> {
  const mirror = new MirrorServer({ tree: mirrorTree() });
  const url = await mirror.start();
  const port = Number(new URL(url).port);
  console.log(bold(`A local simplestreams mirror serves releases/ and daily/ at ${url}`));
  const fast = ['--retry-initial-ms', '1000', '--log-level', 'warn'];
  let daemon = await SkiffDaemon.start({ mirror: url, args: fast });
  console.log(bold(`A temporary skiffd runs with data dir ${daemon.dataDir}`));
  try {
    await step(daemon, 'Wait until every remote has a catalog', ['wait-ready', '--timeout', '30']);
    await step(daemon, 'Find images', ['find']);
    await step(daemon, 'The remotes and their catalogs', ['remotes']);
    await mirror.close();
    console.log(bold('\n** The mirror goes away (like a laptop losing its network) **'));
    await step(daemon, 'A forced refresh fails per remote, and the last good catalog still answers', [
      'find',
      '--force-update',
      'noble',
    ]);
    await step(daemon, 'remotes names the cause and the URL, and when the next attempt is', ['remotes']);
    await daemon.signal('SIGKILL');
    console.log(bold('\n** skiffd is killed with -9 and started again, still without a network **'));
    daemon = await SkiffDaemon.start({ mirror: url, dataDir: daemon.dataDir, args: fast });
    await step(daemon, 'The persisted catalog answers at once, marked stale', ['find', 'lts']);
    const back = new MirrorServer({ tree: mirrorTree() });
    await back.start({ port });
    console.log(bold('\n** The mirror comes back; nobody asks anything; skiffd notices by itself **'));
    await daemon.waitForRemotes((r) => r.every((x) => x.state === 'fresh'), 30_000);
    await sleep(100);
    await step(daemon, 'Fresh again', ['remotes']);
    await back.close();
  } finally {
    await daemon.stop();
    await mirror.close().catch(() => undefined);
  }
  console.log(bold('\nDone: the temporary daemon, its data dir and the mirror are gone.'));
}

await main();
