import type { ChatCall, ChatDelta, ChatResult, EmbeddingInput, EmbeddingResult } from '../../shared/domain/inference';
import type { ItemResult } from '../../shared/batchingCore/types';
import type { CallOptions, EmbedOptions, InferenceProvider } from '../../shared/providers/types';

/** A provider whose answers are scripted, recording every call. */
export class FakeProvider implements InferenceProvider {
  readonly kind = 'openai-compatible' as const;
  /** Every chat call, streamed or not. */
  readonly chatCalls: ChatCall[] = [];
  readonly embedCalls: { model: string; inputs: EmbeddingInput[]; dimensions?: number }[] = [];
  /** Throw this from the next calls instead of answering. */
  failWith: Error | undefined;

  constructor(
    readonly name: string,
    readonly maxEmbeddingInputs = 64,
  ) {}

  async chat(call: ChatCall): Promise<ChatResult> {
    this.chatCalls.push(call);
    if (this.failWith) throw this.failWith;
    return { content: `${this.name}:${call.model}`, finishReason: 'stop', usage: { promptTokens: 3, completionTokens: 2 } };
  }

  /**
   * The answer `chat` would give, as a stream: its content, then the finish reason, then
   * the usage. Records the call and fails as `chat` does (from the first `next()`).
   */
  async *chatStream(call: ChatCall, _options?: CallOptions): AsyncGenerator<ChatDelta> {
    const result = await this.chat(call);
    if (result.content !== null && result.content !== '') yield { content: result.content };
    yield { finishReason: result.finishReason };
    yield { usage: result.usage };
  }

  async embed(model: string, inputs: EmbeddingInput[], options: EmbedOptions = {}): Promise<ItemResult<EmbeddingResult>[]> {
    this.embedCalls.push({ model, inputs, ...(options.dimensions === undefined ? {} : { dimensions: options.dimensions }) });
    if (this.failWith) throw this.failWith;
    return inputs.map((input) => ({
      ok: true,
      value: { vector: [input.length, 0.5], usage: { promptTokens: 1, completionTokens: 0 } },
      usage: { promptTokens: 1, completionTokens: 0 },
    }));
  }
}
