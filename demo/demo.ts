/**
 * @module `npm run demo`: skiff's main job on a machine with no internet. It builds (or reuses) the bootable
 * test image, publishes it in a local simplestreams mirror served on loopback, points a temporary skiffd at
 * it, launches a VM, runs a command in it, lists it, shows what happens when the network goes away, and
 * cleans everything up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../src/core/ssh-args.js';
import { buildTestImage } from '../tests/harness/qemu-test-vm.js';
import { publishImage, serveMirror, type ServedMirror } from '../tests/harness/local-mirror.js';
import { SkiffDaemon } from '../tests/harness/skiff-process.js';

const bold = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s: string) => console.log(`\n${bold(s)}`);

async function show(
  run: (args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>,
  args: string[],
): Promise<void> {
  console.log(`$ skiff ${args.map(shellQuote).join(' ')}`);
  const { code, stdout, stderr } = await run(args);
  process.stdout.write(stdout);
  if (stderr.trim()) process.stdout.write(`${stderr.trimEnd().replace(/^/gm, '  (stderr) ')}\n`);
  if (code !== 0) console.log(`  (exit code ${code})`);
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'skiff-demo-'));
  let mirror: ServedMirror | null = null;
  let daemon: SkiffDaemon | null = null;
  try {
    say('1. Build (or reuse) the bootable test image from Debian packages');
    const image = await buildTestImage();
    console.log(image);

    say('2. Publish it as a simplestreams mirror (aliases noble, 24.04, lts) and serve it on loopback');
    const tree = join(work, 'mirror');
    process.stdout.write(await publishImage(tree, image));
    mirror = await serveMirror(tree);
    console.log(`serving ${tree} at ${mirror.url}`);

    say('3. Start a temporary skiffd whose local.image.mirror is that mirror');
    daemon = await SkiffDaemon.start({
      mirror: mirror.url,
      dataDir: join(work, 'skiffd'),
      args: ['--log-level', 'warn'],
    });
    const cli = (args: string[]) => daemon!.cli(args);
    console.log(`skiffd is up (socket ${daemon.socket})`);
    await show(cli, ['find']);

    say('4. Launch a VM, run a command in it, look at it');
    await show(cli, ['launch', 'noble', '--name', 'demo', '--memory', '512M', '--disk', '2G']);
    await show(cli, [
      'exec',
      'demo',
      '--',
      'sh',
      '-c',
      'echo "hello from $(hostname), kernel $(uname -r)"; df -h / | tail -1',
    ]);
    await show(cli, ['list']);
    await show(cli, ['info', 'demo']);

    say('5. The network goes away: the mirror stops');
    mirror.stop();
    mirror = null;
    await show(cli, ['find', '--force-update', 'noble']);
    await show(cli, ['remotes']);
    say('   ... and a second VM still launches, from the cached catalog and image');
    await show(cli, ['launch', 'noble', '--name', 'offline', '--memory', '512M']);
    await show(cli, ['list']);
    await show(cli, ['images']);

    say('6. Clean up');
    await show(cli, ['delete', '--purge', 'demo', 'offline']);
    await show(cli, ['list']);
  } finally {
    if (daemon) {
      // Whatever failed above, leave no VM behind.
      for (const name of ['demo', 'offline'])
        await daemon.cli(['delete', '--purge', name]).catch(() => undefined);
      await daemon.stop({ keepData: true });
    }
    mirror?.stop();
    await rm(work, { recursive: true, force: true });
  }
  say('Done: the VMs, the temporary daemon, its data and the mirror are gone.');
}

await main();
