/**
 * Errors of the local platform runtime. They never reach an API client (the emulated
 * API Gateway answers with its own fixed bodies); they explain to the person running
 * `npm start` why something did not come up.
 */

/** Base of every error the local runtime raises on purpose. */
export class LocalPlatformError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: string;

  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LocalPlatformError';
    this.code = options.code;
  }
}

/** serverless.yml uses a variable this runtime cannot resolve, or is not shaped as expected. */
export class ServerlessConfigError extends LocalPlatformError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'SERVERLESS_CONFIG', ...options });
    this.name = 'ServerlessConfigError';
  }
}

/** A server could not listen on its port (most often: something else already does). */
export class PortUnavailableError extends LocalPlatformError {
  readonly port: number;

  constructor(what: string, port: number, options: { envVar?: string; cause?: unknown } = {}) {
    const hint = options.envVar ? ` Set ${options.envVar} to another port, or to 0 for any free port.` : '';
    const inUse = (options.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
    super(
      `${what} cannot listen on 127.0.0.1:${port}: ${inUse ? 'the port is already in use' : String((options.cause as Error | undefined)?.message ?? options.cause)}.${hint}`,
      { code: inUse ? 'PORT_IN_USE' : 'LISTEN_FAILED', cause: options.cause },
    );
    this.name = 'PortUnavailableError';
    this.port = port;
  }
}

/** A function ran past its configured timeout (the gateway stops waiting for it). */
export class FunctionTimeoutError extends LocalPlatformError {
  constructor(functionName: string, timeoutSeconds: number) {
    super(`${functionName} timed out after ${timeoutSeconds} seconds`, { code: 'FUNCTION_TIMEOUT' });
    this.name = 'FunctionTimeoutError';
  }
}

/**
 * An invocation the fault injection killed midway (shared/devTools/localPlatform/faultInjection.ts). Like a
 * timeout: the caller gets no response and the handler, which cannot be stopped in-process,
 * runs on in the background, so its side effects may still land.
 */
export class InjectedCrashError extends LocalPlatformError {
  constructor(functionName: string, afterMs: number) {
    super(`${functionName} crashed on purpose after ${afterMs} ms, in the middle of its work (injected fault)`, { code: 'INJECTED_CRASH' });
    this.name = 'InjectedCrashError';
  }
}
