import * as z from 'zod';

/** The OpenAI model list, as vLLM, TGI and Ollama answer it; only the ids matter. */
const ModelList = z.object({ data: z.array(z.object({ id: z.string() })) });

/** How one server is asked. */
export interface ListServedModelsOptions {
  /** Headers of the request (the pool's `Authorization`). */
  headers?: Record<string, string>;
  /** Ends the request (its time limit). */
  signal: AbortSignal;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * The one `GET /v1/models` of an OpenAI-compatible server (vLLM lists its
 * `--served-model-name`s there): the model ids it serves, or `undefined` when it is
 * down, slow, answers an error status or anything but a model list. Both the pool's
 * routing ({@link ServedModels}) and the status page's probe (`probeServer`) ask it this
 * way, so a server the status page shows up is one the pool would send work to.
 *
 * @param serverRoot the server's root URL, without `/v1`
 */
export async function listServedModels(serverRoot: string, options: ListServedModelsOptions): Promise<Set<string> | undefined> {
  const send = options.fetch ?? ((input: string | URL | Request, init?: RequestInit) => fetch(input, init));
  try {
    const response = await send(`${serverRoot}/v1/models`, {
      headers: { accept: 'application/json', ...options.headers },
      signal: options.signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const parsed = ModelList.safeParse(await response.json());
    return parsed.success ? new Set(parsed.data.data.map((entry) => entry.id)) : undefined;
  } catch {
    // Refused, reset, timed out or not JSON: the server is not fit for work right now.
    return undefined;
  }
}
