/**
 * @module A stand-in for skiffd's network half, run inside a test's namespaces: composes the managed network
 * as the daemon does (compose-network.ts) and serves it on the ServiceChannel line protocol. stdin takes one
 * JSON command a line (`{"op":"reserve","name":"web","mac":"..."}`); each answer is a `result <json>` line then
 * `ok <op>`, or `error <code>: <message>`. `die` SIGKILLs this process (a daemon crash); `close` stops the
 * supervisor and exits (a clean daemon stop). argv[2] is the JSON of RunnerConfig. Logs go to stderr.
 */
import { createInterface } from 'node:readline';
import { destination, pino } from 'pino';
import { isSkiffError } from '../../src/core/errors.js';
import { composeNetwork } from '../../src/daemon/compose-network.js';

export interface RunnerConfig {
  dataDir: string;
  runDir: string;
  resolvFile: string;
  superviseIntervalMs: number;
  bridgeName?: string;
  subnet?: string;
}

export type RunnerCommand =
  | { op: 'ensure' | 'leases' | 'status' | 'close' | 'die' }
  | { op: 'reserve'; name: string; mac: string }
  | { op: 'release'; name: string }
  | { op: 'teardown'; forgetReservations?: boolean };

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as RunnerConfig;
  const logger = pino({ level: 'debug' }, destination(2));
  const { network, close } = await composeNetwork({ ...config, logger });
  const answer = (op: string, result: unknown): void => {
    process.stdout.write(`result ${JSON.stringify({ result: result ?? null })}\nok ${op}\n`);
  };
  process.stdout.write(`listening ${process.pid}\n`);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = JSON.parse(line) as RunnerCommand;
    try {
      switch (command.op) {
        case 'ensure':
          answer(command.op, await network.ensure());
          break;
        case 'reserve':
          answer(command.op, await network.reserve(command.name, command.mac));
          break;
        case 'release':
          answer(command.op, await network.release(command.name));
          break;
        case 'leases':
          answer(command.op, Object.fromEntries(await network.leases()));
          break;
        case 'status':
          answer(command.op, await network.status());
          break;
        case 'teardown':
          answer(command.op, await network.teardown({ forgetReservations: command.forgetReservations }));
          break;
        case 'close':
          close();
          answer(command.op, null);
          process.exit(0);
          break;
        case 'die':
          process.kill(process.pid, 'SIGKILL');
          break;
      }
    } catch (error) {
      const code = isSkiffError(error) ? error.code : 'exception';
      const message = error instanceof Error ? error.message : String(error);
      process.stdout.write(`error ${code}: ${message.replace(/\n/g, ' ')}\n`);
    }
  }
  close();
}

void main();
