import { listServedModels } from './listServedModels';
import { normaliseBaseUrl } from './OpenAiCompatibleProvider';

/**
 * Asks one OpenAI-compatible server whether it answers, the way the pool's routing asks it
 * ({@link listServedModels}: `GET /v1/models`, with the pool's key when it has one). True
 * when it answers a model list within the signal's time; false on an error status, an
 * answer that is not a model list, a refused connection or a timeout. Nothing of the
 * answer is passed on.
 */
export async function probeServer(baseUrl: string, apiKey: string | undefined, signal: AbortSignal): Promise<boolean> {
  const listed = await listServedModels(normaliseBaseUrl(baseUrl), {
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    signal,
  });
  return listed !== undefined;
}
