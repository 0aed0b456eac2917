import type { GpuSimulator } from './GpuSimulator';
import { SimulatorConfigError, maxItemsPerSecond } from './SimulatorConfig';
import type { HttpReply } from './types';

/**
 * The `/_sim` control plane, used by tests and benchmarks to read stats, zero them, and
 * turn knobs while the simulator runs. Errors use the OpenAI error shape, the one every
 * caller of this server already parses.
 */

function badRequest(message: string, param: string | null = null): HttpReply {
  return { status: 400, body: { error: { message, type: 'invalid_request_error', param, code: 'invalid_config' } } };
}

function configBody(sim: GpuSimulator): unknown {
  const config = sim.config;
  return { ...config, maxItemsPerSecond: maxItemsPerSecond(config) };
}

/**
 * Answers a `/_sim/...` request, or returns null when no control route matches.
 * `readBody` is only called by routes that take a body.
 */
export async function handleControl(
  sim: GpuSimulator,
  method: string,
  pathname: string,
  readBody: () => Promise<unknown>,
): Promise<HttpReply | null> {
  const path = pathname.replace(/\/+$/, '');
  if (method === 'GET' && path === '/_sim/stats') return { status: 200, body: sim.stats() };
  if (method === 'POST' && path === '/_sim/reset') {
    sim.reset();
    return { status: 200, body: { reset: true, stats: sim.stats() } };
  }
  if (method === 'GET' && path === '/_sim/config') return { status: 200, body: configBody(sim) };
  if (method === 'POST' && path === '/_sim/config') {
    let patch: unknown;
    try {
      patch = await readBody();
    } catch (error) {
      return badRequest(error instanceof Error ? error.message : 'request body is not valid JSON');
    }
    if (patch === undefined) return badRequest('send a JSON object with the knobs to change');
    try {
      sim.updateConfig(patch);
    } catch (error) {
      if (error instanceof SimulatorConfigError) return badRequest(error.message, error.param);
      throw error;
    }
    return { status: 200, body: configBody(sim) };
  }
  return null;
}
