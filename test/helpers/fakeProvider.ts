import type { ChatCall, ChatResult, EmbeddingResult } from '../../shared/domain/inference';
import type { ItemResult } from '../../shared/batching/types';
import type { InferenceProvider } from '../../shared/providers/types';

/** A provider whose answers are scripted, recording every call. */
export class FakeProvider implements InferenceProvider {
  readonly kind = 'openai-compatible' as const;
  readonly chatCalls: ChatCall[] = [];
  readonly embedCalls: { model: string; inputs: string[] }[] = [];
  /** Throw this from the next calls instead of answering. */
  failWith: Error | undefined;

  constructor(readonly name: string, readonly maxEmbeddingInputs = 64) {}

  async chat(call: ChatCall): Promise<ChatResult> {
    this.chatCalls.push(call);
    if (this.failWith) throw this.failWith;
    return { content: `${this.name}:${call.model}`, finishReason: 'stop', usage: { promptTokens: 3, completionTokens: 2 } };
  }

  async embed(model: string, inputs: string[]): Promise<ItemResult<EmbeddingResult>[]> {
    this.embedCalls.push({ model, inputs });
    if (this.failWith) throw this.failWith;
    return inputs.map((text) => ({ ok: true, value: { vector: [text.length, 0.5], usage: { promptTokens: 1, completionTokens: 0 } }, usage: { promptTokens: 1, completionTokens: 0 } }));
  }
}
