/**
 * @module CLI entry that runs a DnsServer, e.g. inside a test network namespace:
 *
 *   node dns-main.js --listen 10.200.0.1 [--port 53] --record images.test=10.200.1.1 [...] [--control]
 *
 * stdout: `listening udp://<addr>:<port>` once bound, then `query <json>` per query. stdin takes JSON commands,
 * one a line, acknowledged with `ok <op>` or `error <message>`:
 *   {"op":"records","records":{"name":"ip"}}  {"op":"silent","value":true}
 * Commands are read only with `--control`; it then also exits when stdin closes, so a dying parent takes
 * it along even without PDEATHSIG (without the flag, stdin is ignored: `< /dev/null` must not stop it).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DnsServer } from './dns-server.js';
import type { DnsRecords } from './dns-server.js';

/** Commands accepted on stdin. */
export type DnsCommand = { op: 'records'; records: DnsRecords } | { op: 'silent'; value: boolean };

function parseRecords(specs: string[]): DnsRecords {
  const records: DnsRecords = {};
  for (const spec of specs) {
    const [name, ip, ...rest] = spec.split('=');
    if (name === undefined || ip === undefined || rest.length > 0)
      throw new Error(`--record: expected NAME=IP, got ${spec}`);
    records[name] = ip;
  }
  return records;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      control: { type: 'boolean', default: false },
      listen: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '53' },
      record: { type: 'string', multiple: true, default: [] },
    },
  });
  const server = new DnsServer({
    records: parseRecords(values.record ?? []),
    onQuery: (query) => process.stdout.write(`query ${JSON.stringify(query)}\n`),
  });
  const { address, port } = await server.start({ host: values.listen, port: Number(values.port) });
  process.stdout.write(`listening udp://${address}:${port}\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
  if (values.control !== true) return;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      const command = JSON.parse(line) as DnsCommand;
      if (command.op === 'records') server.setRecords(command.records);
      else if (command.op === 'silent') server.setSilent(command.value);
      else throw new Error(`unknown op in ${line}`);
      process.stdout.write(`ok ${command.op}\n`);
    } catch (error) {
      process.stdout.write(`error ${(error as Error).message}\n`);
    }
  });
  lines.once('close', () => void server.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`dns-main: ${(error as Error).message}\n`);
  process.exit(2);
});
