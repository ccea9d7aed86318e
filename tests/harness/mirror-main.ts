/**
 * @module CLI entry that runs a MirrorServer, e.g. inside a test network namespace:
 *
 *   node mirror-main.js --listen 10.200.1.1:8080 (--dir DIR | --tree FILE.json) [--base /images/] [--control]
 *
 * stdout: `listening <url>` once bound, then `request <json>` per request. stdin takes JSON commands, one a
 * line, each acknowledged with `ok <op>` or `error <message>`:
 *   {"op":"fault","fault":{...}|null,"path"?:"rel/path"}  {"op":"clear-faults"}  {"op":"tree","tree":{...}}
 * Commands are read only with `--control`; it then also exits when stdin closes, so a dying parent takes
 * it along even without PDEATHSIG (without the flag, stdin is ignored: `< /dev/null` must not stop it).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { MirrorServer, decodeTreeJson } from './mirror-server.js';
import type { Fault, MirrorTree } from './mirror-server.js';

/** Commands accepted on stdin. */
export type MirrorCommand =
  | { op: 'fault'; fault: Fault | null; path?: string }
  | { op: 'clear-faults' }
  | { op: 'tree'; tree: Record<string, string | { base64: string }> };

function readDirTree(dir: string): MirrorTree {
  const tree: MirrorTree = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, name);
    if (statSync(path).isFile()) tree[relative(dir, path).split(sep).join('/')] = readFileSync(path);
  }
  return tree;
}

function splitHostPort(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(listen);
  if (match === null) throw new Error(`--listen: expected ADDR:PORT, got ${listen}`);
  return { host: match[1] ?? '', port: Number(match[2]) };
}

function apply(server: MirrorServer, command: MirrorCommand): void {
  switch (command.op) {
    case 'fault':
      return server.setFault(command.fault, command.path);
    case 'clear-faults':
      return server.clearFaults();
    case 'tree':
      return server.setTree(decodeTreeJson(JSON.stringify(command.tree)));
    default: {
      const unknown: never = command;
      throw new Error(`unknown op in ${JSON.stringify(unknown)}`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      control: { type: 'boolean', default: false },
      listen: { type: 'string', default: '127.0.0.1:0' },
      dir: { type: 'string' },
      tree: { type: 'string' },
      base: { type: 'string', default: '/' },
    },
  });
  if ((values.dir === undefined) === (values.tree === undefined))
    throw new Error('give exactly one of --dir, --tree');
  const tree =
    values.dir !== undefined
      ? readDirTree(values.dir)
      : decodeTreeJson(readFileSync(values.tree ?? '', 'utf8'));
  const server = new MirrorServer({
    tree,
    basePath: values.base,
    onRequest: (entry) => process.stdout.write(`request ${JSON.stringify(entry)}\n`),
  });
  const url = await server.start(splitHostPort(values.listen ?? ''));
  process.stdout.write(`listening ${url}\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
  if (values.control !== true) return;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      const command = JSON.parse(line) as MirrorCommand;
      apply(server, command);
      process.stdout.write(`ok ${command.op}\n`);
    } catch (error) {
      process.stdout.write(`error ${(error as Error).message}\n`);
    }
  });
  lines.once('close', () => void server.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`mirror-main: ${(error as Error).message}\n`);
  process.exit(2);
});
