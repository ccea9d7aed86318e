/**
 * End to end, `skiff forward` into a guest on skiff's NAT network: skiffd (NAT mode) in a network namespace
 * this test made, so the relay's host port, the bridge and the guest all live there. A web server in the guest
 * (busybox httpd) is reached through 127.0.0.1 of the namespace; the forward follows stop/start, stops with a
 * killed daemon (the relay lives in skiffd) and is back when it restarts; `forward remove` closes the port.
 * Nothing here touches the machine's own network.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NatTestBed } from '../harness/nat-testbed.js';
import { TestNetwork } from '../harness/netns.js';
import { waitFor } from '../harness/ns-process.js';
import type { CliResult, SkiffDaemon } from '../harness/skiff-process.js';

const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);
const PORT = 18080;
const PAGE = 'hello through the relay';

describe('port forwarding into a NAT guest', { skip: TestNetwork.skipReason(), timeout: 25 * 60_000 }, () => {
  let bed: NatTestBed;
  let net: TestNetwork;
  let daemon: SkiffDaemon | undefined;

  const start = (dataDir: string) => bed.startDaemon(dataDir);
  /** GET / through the forward, in the namespace: the body, or curl's error. */
  const fetch = (): Promise<string> =>
    net
      .execInClient(['sh', '-c', `curl -sS --max-time 10 http://127.0.0.1:${PORT}/ 2>&1 || true`])
      .then((out) => out.trim());
  const fetchSoon = async () => {
    let last = '';
    await waitFor(async () => (last = await fetch()) === PAGE, { timeoutMs: 60_000, what: 'the page' }).catch(
      () => undefined,
    );
    return last;
  };
  /** busybox httpd on port 8080 in the guest. The CLI runs in the namespace: the guest's SSH is only there. */
  const serve = async () =>
    ok(
      await bed.cli(
        daemon!,
        [
          'exec',
          'web',
          '--',
          'sh',
          '-c',
          `mkdir -p /var/tmp/www && echo '${PAGE}' > /var/tmp/www/index.html && ` +
            'busybox httpd -p 8080 -h /var/tmp/www </dev/null >/dev/null 2>&1',
        ],
        120_000,
      ),
      'httpd',
    );
  const active = async () =>
    (
      JSON.parse((await daemon!.cli(['forward', 'list', 'web', '--format', 'json'])).stdout) as {
        forwards: Array<{ active: boolean }>;
      }
    ).forwards.map((f) => f.active);

  before(async () => {
    bed = await NatTestBed.start('skiff-fwd-nat-');
    net = bed.net;
    daemon = await start(join(bed.work, 'data'));
    ok(
      await daemon.cli(['launch', 'noble', '-n', 'web', '-m', '512M', '-d', '1G'], { timeoutMs: 600_000 }),
      'launch',
    );
  });

  after(async () => {
    await bed?.stop(daemon);
  });

  test('add: the relay carries 127.0.0.1 of the host to the guest address', async () => {
    await serve();
    const added = await daemon!.cli(['forward', 'add', 'web', `${PORT}:8080`]);
    ok(added, 'forward add');
    assert.equal(added.stdout, `Forwarding 127.0.0.1:${PORT}/tcp to web port 8080\n`);
    assert.equal(await fetchSoon(), PAGE);
    assert.deepEqual(await active(), [true]);
  });

  test('stop closes the port; start opens it again', async () => {
    ok(await daemon!.cli(['stop', 'web'], { timeoutMs: 300_000 }), 'stop');
    assert.match(await fetch(), /Connection refused|Failed to connect/);
    assert.deepEqual(await active(), [false]);
    ok(await daemon!.cli(['start', 'web'], { timeoutMs: 300_000 }), 'start');
    await serve();
    assert.equal(await fetchSoon(), PAGE);
  });

  test('the relay lives in skiffd: gone while it is killed, back when it starts', async () => {
    const dataDir = daemon!.dataDir;
    await daemon!.signal('SIGKILL');
    assert.match(await fetch(), /Connection refused|Failed to connect/);
    daemon = await start(dataDir);
    assert.equal(await fetchSoon(), PAGE);
    assert.deepEqual(await active(), [true]);
  });

  test('remove closes the port', async () => {
    ok(await daemon!.cli(['forward', 'remove', 'web', String(PORT)]), 'forward remove');
    assert.match(await fetch(), /Connection refused|Failed to connect/);
    assert.deepEqual(await active(), []);
  });
});
