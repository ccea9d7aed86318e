/**
 * @module `GET /1.0/instances/{name}/exec`: a websocket that runs a command in an instance (exec-frames.ts
 * says what travels on it). The request is checked and the instance seen running before the upgrade, so
 * those failures are plain HTTP errors; after it, the exit code or an error is the last message. A client
 * that goes away ends the session at once (ExecProcess.kill). Output waits for a slow client rather than
 * piling up in the daemon, and stdin waits for a slow command.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { type ExecQuery, type InstanceParams, PATHS } from '../../api/contract.js';
import {
  CHANNEL,
  decodeData,
  encodeControl,
  encodeData,
  FrameError,
  messageBytes,
  parseClientControl,
  type Channel,
} from '../../api/exec-frames.js';
import { execQuerySchema, instanceParamsSchema } from '../../api/schemas.js';
import type { ExecProcess } from '../../services/exec/ports.js';
import type { PreparedExec } from '../../services/exec/exec-service.js';
import { SkiffError } from '../../core/errors.js';
import type { Services } from '../services.js';
import { errorBody } from '../errors.js';

type ExecRoute = { Params: InstanceParams; Querystring: ExecQuery };

/** Output the daemon holds for a client before it stops reading the command's output. */
const HIGH_WATER_BYTES = 1 << 20;

export function registerExecRoutes(app: FastifyInstance, { exec }: Services): void {
  const prepared = new WeakMap<FastifyRequest, PreparedExec>();
  app.route<ExecRoute>({
    method: 'GET',
    url: `${PATHS.instances}/:name/exec`,
    schema: {
      summary: 'run a command in an instance (websocket)',
      description:
        'Upgrade to a websocket (`Connection: Upgrade`, `Upgrade: websocket`); answers 101 Switching ' +
        'Protocols, or an error before upgrading (a bad query, an instance that is not running). Binary ' +
        'messages are one channel byte (0 stdin, 1 stdout, 2 stderr) then raw bytes. Text messages are JSON: ' +
        'from the client `{"type":"resize","cols":C,"rows":R}` and `{"type":"stdin-eof"}`; from skiffd, last, ' +
        '`{"type":"exit","code":N}` or `{"type":"error","error":{"code","message"}}`. Closing the websocket ' +
        'ends the command. A plain GET (no upgrade) gets 426.',
      params: instanceParamsSchema,
      querystring: execQuerySchema,
      // OpenAPI cannot describe a websocket; the 101 says where the conversation goes on (see description).
      response: { 101: { description: 'Switching Protocols: the exec websocket', type: 'null' } },
    },
    // One `command=` arrives as a string; the schema wants the argv as a list.
    preValidation: async (request) => {
      const query = request.query as { command?: string | string[] };
      if (typeof query.command === 'string') query.command = [query.command];
    },
    preHandler: async (request) => {
      const { query } = request;
      prepared.set(
        request,
        await exec.prepare(request.params.name, {
          ...(query.command === undefined ? {} : { command: query.command }),
          ...(query.working_directory === undefined ? {} : { workingDirectory: query.working_directory }),
          ...(query.tty === undefined ? {} : { tty: query.tty }),
          ...(query.cols === undefined ? {} : { cols: query.cols }),
          ...(query.rows === undefined ? {} : { rows: query.rows }),
          ...(query.term === undefined ? {} : { term: query.term }),
          ...(query.subsystem === undefined ? {} : { subsystem: query.subsystem }),
        }),
      );
    },
    handler: async (_request, reply) =>
      reply.status(426).send({
        error: { code: 'invalid-argument', message: 'exec: upgrade to a websocket to run a command' },
      }),
    wsHandler: (socket, request) => {
      const session = prepared.get(request as FastifyRequest);
      prepared.delete(request as FastifyRequest);
      if (session) relay(socket, session.start(), request.log);
      else socket.close(1011, 'no prepared session');
    },
  });
}

/** Carries `child`'s streams over `socket` until it exits or the socket closes. */
function relay(socket: WebSocket, child: ExecProcess, log: FastifyRequest['log']): void {
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    child.kill();
  };
  const outputs = [child.stdout, child.stderr];
  const send = (channel: Channel) => (chunk: Buffer) => {
    socket.send(encodeData(channel, chunk), () => {
      if (socket.bufferedAmount < HIGH_WATER_BYTES) for (const output of outputs) output.resume();
    });
    if (socket.bufferedAmount >= HIGH_WATER_BYTES) for (const output of outputs) output.pause();
  };
  child.stdout.on('data', send(CHANNEL.stdout));
  child.stderr.on('data', send(CHANNEL.stderr));
  socket.on('message', (data, isBinary) => {
    try {
      if (isBinary) {
        const { channel, bytes } = decodeData(messageBytes(data as Buffer));
        if (channel !== CHANNEL.stdin)
          throw new FrameError(`clients write only stdin, not channel ${channel}`);
        if (!child.stdin.writable) return;
        // A slow command: stop reading the client until it caught up.
        if (!child.stdin.write(bytes)) {
          socket.pause();
          child.stdin.once('drain', () => socket.resume());
        }
        return;
      }
      const control = parseClientControl(messageBytes(data as Buffer).toString('utf8'));
      if (control.type === 'stdin-eof') {
        child.stdin.end();
        // An ending stream never emits 'drain': stop waiting for it, or the websocket stays paused.
        socket.resume();
      } else void child.resize(control.cols, control.rows);
    } catch (error) {
      const { body } = errorBody(
        error instanceof FrameError ? new SkiffError('invalid-argument', `exec: ${error.message}`) : error,
        log,
      );
      socket.send(encodeControl({ type: 'error', error: body.error }));
      socket.close(1002, 'protocol error');
      finish();
    }
  });
  socket.on('close', finish);
  socket.on('error', finish);
  void child.exited.then((code) => {
    if (finished) return;
    finished = true;
    socket.resume(); // the client's close frame must be read, whatever stdin still waits for
    socket.send(encodeControl({ type: 'exit', code }));
    socket.close(1000, 'exited');
  });
}
