import { normaliseBaseUrl } from './OpenAiCompatibleProvider';

/**
 * Asks one OpenAI-compatible server whether it answers: `GET /v1/models` (vLLM, TGI and
 * Ollama all serve it), with the pool's key when it has one. True on a 2xx within the
 * signal's time; false on any other status, a refused connection or a timeout. Nothing of
 * the answer is read or passed on.
 */
export async function probeServer(baseUrl: string, apiKey: string | undefined, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await fetch(`${normaliseBaseUrl(baseUrl)}/v1/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal,
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
