/**
 * @module Whether a host port is free for a forward: bind it, let go at once. What holds it (another program,
 * another forward, QEMU) does not matter: the kernel's answer is the one a later bind gets.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { ForwardHost, PortProbe } from '../../services/forwards/ports.js';
import { listenError } from './listen-error.js';

export const socketPortProbe: PortProbe = {
  async check(host) {
    try {
      if (host.protocol === 'udp') await probeUdp(host);
      else await probeTcp(host);
    } catch (error) {
      throw listenError(error as NodeJS.ErrnoException, host);
    }
  },
};

function probeTcp(host: ForwardHost): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: host.hostAddress, port: host.hostPort, exclusive: true }, () =>
      server.close(() => resolve()),
    );
  });
}

function probeUdp(host: ForwardHost): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (error) => {
      try {
        socket.close();
      } catch {
        // never bound: nothing to close
      }
      reject(error);
    });
    socket.bind({ address: host.hostAddress, port: host.hostPort, exclusive: true }, () =>
      socket.close(() => resolve()),
    );
  });
}
