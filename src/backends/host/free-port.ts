/**
 * @module A free TCP port on 127.0.0.1, for a VM's SSH forward.
 */
import { createServer } from 'node:net';

/** Binds port 0 on loopback, reads the port the kernel chose, and releases it. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
