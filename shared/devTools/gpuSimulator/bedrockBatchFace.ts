import { BedrockBatchError } from './bedrockBatchErrors';
import { SimulatorError } from './errors';
import type { ModelInvocationJobs } from './ModelInvocationJobs';
import type { FaceDefinition, FaceRoute, HttpReply } from './types';

/**
 * Bedrock's control plane for batch inference, in its restJson1 wire protocol, so the real
 * `@aws-sdk/client-bedrock` drives it: `POST /model-invocation-job` (Create),
 * `GET /model-invocation-job/{jobIdentifier}` (Get, by ARN or id),
 * `GET /model-invocation-jobs` (List) and `POST /model-invocation-job/{jobIdentifier}/stop`
 * (Stop). SigV4 signatures are ignored, as on the runtime face.
 */

/** Whether a path belongs to this face. */
export function isBedrockBatchPath(pathname: string): boolean {
  return pathname === '/model-invocation-jobs' || pathname === '/model-invocation-job' || pathname.startsWith('/model-invocation-job/');
}

function render(error: BedrockBatchError): HttpReply {
  return { status: error.status, headers: { 'x-amzn-errortype': error.errorType }, body: { message: error.message } };
}

function decode(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch (error) {
    throw new BedrockBatchError('ValidationException', `jobIdentifier is not valid percent-encoding: ${encoded}`, { cause: error });
  }
}

/** The face over `jobs`. */
export function createBedrockBatchFace(jobs: ModelInvocationJobs): FaceDefinition {
  const route = (name: string, handle: (body: unknown) => Promise<unknown> | unknown): FaceRoute => ({
    route: name,
    async handle(context) {
      try {
        return { status: 200, body: await handle(context.body) };
      } catch (error) {
        if (error instanceof BedrockBatchError) return render(error);
        throw error;
      }
    },
  });
  return {
    face: 'bedrock',
    resolve(method, pathname, query = new URLSearchParams()) {
      const path = pathname.replace(/\/+$/, '');
      if (path === '/model-invocation-job' && method === 'POST') return route('batch.create', (body) => jobs.create(body));
      if (path === '/model-invocation-jobs' && method === 'GET') return route('batch.list', () => jobs.list(query));
      // Split before decoding: an ARN carries '/' only as %2F.
      const stop = /^\/model-invocation-job\/([^/]+)\/stop$/.exec(path);
      if (stop && method === 'POST') return route('batch.stop', () => jobs.stop(decode(stop[1] as string)));
      const get = /^\/model-invocation-job\/([^/]+)$/.exec(path);
      if (get && method === 'GET') return route('batch.get', () => jobs.get(decode(get[1] as string)));
      return new SimulatorError('not_found', `no Bedrock operation at ${method} ${pathname}`);
    },
    renderError(error) {
      const type =
        error.kind === 'not_found' ? 'ResourceNotFoundException' : error.status >= 500 ? 'InternalServerException' : 'ValidationException';
      return render(new BedrockBatchError(type, error.message));
    },
  };
}
