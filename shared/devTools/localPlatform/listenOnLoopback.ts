import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortUnavailableError } from './errors';

/** The only address anything of the local platform listens on. */
export const LOOPBACK = '127.0.0.1';

/**
 * Listens on 127.0.0.1 (never another interface: the stand-ins accept any credentials)
 * and resolves with the real port, so `port: 0` means "any free port". A port that is
 * taken becomes a {@link PortUnavailableError} naming the server and the env var to change.
 */
export function listenOnLoopback(server: Server, port: number, label: { what: string; envVar?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error) => {
      server.off('listening', onListening);
      reject(new PortUnavailableError(label.what, port, { cause, ...(label.envVar ? { envVar: label.envVar } : {}) }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, LOOPBACK);
  });
}

/**
 * Closes a server without waiting on idle keep-alive sockets of clients that never hang
 * up (SDK clients keep them open); requests still running get `graceMs` to finish.
 */
export function closeServer(server: Server, graceMs = 1000): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
