import type { ChatToolCallDelta, ChatWireChunk, ChatWireUsage } from './chatWire';
import type { ResponsesRequest } from './requestSchema';
import {
  incompleteReason,
  newId,
  responseSkeleton,
  usageOf,
  wantsSummary,
  type FunctionCallOutput,
  type MessageItem,
  type OutputItem,
  type ReasoningOutput,
  type ResponseError,
  type ResponseMeta,
  type ResponseObject,
} from './responseObject';
import { failureOf, type ResponseStreamEvent, type UnsequencedEvent } from './streamEvents';

/**
 * The Responses streaming events for a streamed chat completion, in the order OpenAI
 * sends them: `response.created`, `response.in_progress`, then per output item
 * `output_item.added`, its parts and deltas, `output_item.done`, and last one of
 * `response.completed`, `response.incomplete` (a `length` or `content_filter` finish) or
 * `response.failed` (an `{ error }` chunk, or the chunk stream throwing). Every event
 * carries a `sequence_number` counted from 0.
 *
 * Reasoning (`reasoning_content`) and text deltas each go to one item at a time: a
 * reasoning item, then a message item; a change of kind closes the open one. Tool-call
 * deltas go to one `function_call` item per chat tool-call `index`, opened once its name
 * is known and closed at the end of the stream, so interleaved calls are carried too.
 */
export async function* toResponseEvents(
  chunks: AsyncIterable<ChatWireChunk>,
  req: ResponsesRequest,
  meta: ResponseMeta,
): AsyncIterable<ResponseStreamEvent> {
  const stream = new EventStream(req, responseSkeleton(req, { ...meta, id: meta.id ?? newId('resp') }));
  yield* stream.take(stream.lifecycle('response.created'), stream.lifecycle('response.in_progress'));
  let failure: ResponseError | null = null;
  try {
    for await (const chunk of chunks) {
      if (chunk.error) {
        failure = failureOf({ chunkError: chunk.error });
        break;
      }
      yield* stream.take(...stream.onChunk(chunk));
    }
  } catch (error) {
    failure = failureOf({ thrown: error });
  }
  yield* stream.take(...(failure ? stream.fail(failure) : stream.finish(meta.now?.() ?? Math.floor(Date.now() / 1000))));
}

type OpenText =
  | { kind: 'message'; index: number; item: MessageItem; text: string }
  | { kind: 'reasoning'; index: number; item: ReasoningOutput; text: string };

interface OpenCall {
  index?: number;
  item?: FunctionCallOutput;
  callId?: string;
  name: string;
  args: string;
}

/** The translation's state: the response so far, the open items and the sequence number. */
class EventStream {
  private sequence = 0;
  private open: OpenText | null = null;
  private readonly calls = new Map<number, OpenCall>();
  private finishReason: string | null = null;
  private usage: ChatWireUsage | null = null;

  constructor(
    private readonly req: ResponsesRequest,
    private readonly response: ResponseObject,
  ) {}

  /** Numbers the events; the items they carry are copied, as they keep changing. */
  *take(...events: UnsequencedEvent[]): Iterable<ResponseStreamEvent> {
    for (const event of events) yield structuredClone({ ...event, sequence_number: this.sequence++ }) as ResponseStreamEvent;
  }

  lifecycle(
    type: 'response.created' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed',
  ): UnsequencedEvent {
    return { type, response: this.response };
  }

  onChunk(chunk: ChatWireChunk): UnsequencedEvent[] {
    if (chunk.usage) this.usage = chunk.usage;
    const events: UnsequencedEvent[] = [];
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (!choice) return events;
    const reasoning = choice.delta.reasoning_content ?? choice.delta.reasoning;
    if (reasoning) events.push(...this.textDelta('reasoning', reasoning));
    if (choice.delta.content) events.push(...this.textDelta('message', choice.delta.content));
    for (const call of choice.delta.tool_calls ?? []) events.push(...this.toolDelta(call));
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return events;
  }

  private textDelta(kind: OpenText['kind'], delta: string): UnsequencedEvent[] {
    const events: UnsequencedEvent[] = [];
    if (this.open?.kind !== kind) {
      events.push(...this.closeText());
      events.push(...(kind === 'message' ? this.openMessage() : this.openReasoning()));
    }
    const open = this.open!;
    open.text += delta;
    const at = { item_id: open.item.id, output_index: open.index };
    if (open.kind === 'message') {
      events.push({ type: 'response.output_text.delta', ...at, content_index: 0, delta, logprobs: [] });
    } else {
      events.push({ type: 'response.reasoning_text.delta', ...at, content_index: 0, delta });
      if (wantsSummary(this.req)) events.push({ type: 'response.reasoning_summary_text.delta', ...at, summary_index: 0, delta });
    }
    return events;
  }

  private openMessage(): UnsequencedEvent[] {
    const item: MessageItem = { id: newId('msg'), type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    const index = this.add(item);
    this.open = { kind: 'message', index, item, text: '' };
    return [
      { type: 'response.output_item.added', output_index: index, item },
      {
        type: 'response.content_part.added',
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      },
    ];
  }

  private openReasoning(): UnsequencedEvent[] {
    const item: ReasoningOutput = {
      id: newId('rs'),
      type: 'reasoning',
      status: 'in_progress',
      encrypted_content: null,
      summary: [],
      content: [],
    };
    const index = this.add(item);
    this.open = { kind: 'reasoning', index, item, text: '' };
    const at = { item_id: item.id, output_index: index };
    const events: UnsequencedEvent[] = [
      { type: 'response.output_item.added', output_index: index, item },
      { type: 'response.content_part.added', ...at, content_index: 0, part: { type: 'reasoning_text', text: '' } },
    ];
    if (wantsSummary(this.req))
      events.push({ type: 'response.reasoning_summary_part.added', ...at, summary_index: 0, part: { type: 'summary_text', text: '' } });
    return events;
  }

  /** Closes the open message or reasoning item, if any. */
  private closeText(status: 'completed' | 'incomplete' = 'completed'): UnsequencedEvent[] {
    const open = this.open;
    if (!open) return [];
    this.open = null;
    const at = { item_id: open.item.id, output_index: open.index };
    const events: UnsequencedEvent[] = [];
    if (open.kind === 'message') {
      const part = { type: 'output_text' as const, text: open.text, annotations: [], logprobs: [] };
      open.item.content = [part];
      events.push(
        { type: 'response.output_text.done', ...at, content_index: 0, text: open.text, logprobs: [] },
        { type: 'response.content_part.done', ...at, content_index: 0, part },
      );
    } else {
      const part = { type: 'reasoning_text' as const, text: open.text };
      open.item.content = [part];
      events.push(
        { type: 'response.reasoning_text.done', ...at, content_index: 0, text: open.text },
        { type: 'response.content_part.done', ...at, content_index: 0, part },
      );
      if (wantsSummary(this.req)) {
        const summary = { type: 'summary_text' as const, text: open.text };
        open.item.summary = [summary];
        events.push(
          { type: 'response.reasoning_summary_text.done', ...at, summary_index: 0, text: open.text },
          { type: 'response.reasoning_summary_part.done', ...at, summary_index: 0, part: summary },
        );
      }
    }
    open.item.status = status;
    events.push({ type: 'response.output_item.done', output_index: open.index, item: open.item });
    return events;
  }

  private toolDelta(delta: ChatToolCallDelta): UnsequencedEvent[] {
    let call = this.calls.get(delta.index);
    if (!call) {
      call = { name: '', args: '' };
      this.calls.set(delta.index, call);
    }
    if (delta.id && !call.callId) call.callId = delta.id;
    if (delta.function?.name && !call.item) call.name += delta.function.name;
    const piece = delta.function?.arguments ?? '';
    call.args += piece;
    if (call.item) {
      return piece
        ? [{ type: 'response.function_call_arguments.delta', item_id: call.item.id, output_index: call.index!, delta: piece }]
        : [];
    }
    return call.name ? this.openCall(call) : [];
  }

  /** Adds a call's item once its name is known, with the arguments gathered until then. */
  private openCall(call: OpenCall): UnsequencedEvent[] {
    const events = this.closeText();
    const item: FunctionCallOutput = {
      id: newId('fc'),
      type: 'function_call',
      status: 'in_progress',
      call_id: call.callId ?? newId('call'),
      name: call.name,
      arguments: '',
    };
    call.item = item;
    call.index = this.add(item);
    events.push({ type: 'response.output_item.added', output_index: call.index, item });
    if (call.args)
      events.push({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: call.index, delta: call.args });
    return events;
  }

  private add(item: OutputItem): number {
    this.response.output.push(item);
    return this.response.output.length - 1;
  }

  /** Closes every open item, the last one `incomplete` if generation was cut short, and ends the response. */
  finish(now: number): UnsequencedEvent[] {
    const reason = incompleteReason(this.finishReason);
    const events: UnsequencedEvent[] = [];
    for (const call of this.calls.values()) if (!call.item) events.push(...this.openCall(call));
    const last = this.response.output.length - 1;
    const statusAt = (index: number) => (reason && index === last ? 'incomplete' : 'completed');
    if (this.open) events.push(...this.closeText(statusAt(this.open.index)));
    const calls = [...this.calls.values()].sort((a, b) => a.index! - b.index!);
    for (const call of calls) {
      const item = call.item!;
      item.arguments = call.args;
      item.status = statusAt(call.index!);
      events.push(
        {
          type: 'response.function_call_arguments.done',
          item_id: item.id,
          output_index: call.index!,
          arguments: call.args,
          name: item.name,
        },
        { type: 'response.output_item.done', output_index: call.index!, item },
      );
    }
    this.response.usage = usageOf(this.usage);
    this.response.status = reason ? 'incomplete' : 'completed';
    this.response.incomplete_details = reason ? { reason } : null;
    this.response.completed_at = reason ? null : now;
    events.push(this.lifecycle(reason ? 'response.incomplete' : 'response.completed'));
    return events;
  }

  /** Ends the response as failed; items still open are left `incomplete`. */
  fail(error: ResponseError): UnsequencedEvent[] {
    // What was generated before the failure stays visible in the failed response.
    if (this.open?.kind === 'message')
      this.open.item.content = [{ type: 'output_text', text: this.open.text, annotations: [], logprobs: [] }];
    if (this.open?.kind === 'reasoning') this.open.item.content = [{ type: 'reasoning_text', text: this.open.text }];
    for (const call of this.calls.values()) if (call.item) call.item.arguments = call.args;
    for (const item of this.response.output) if (item.status === 'in_progress') item.status = 'incomplete';
    this.response.status = 'failed';
    this.response.error = error;
    this.response.usage = this.usage ? usageOf(this.usage) : null;
    return [this.lifecycle('response.failed')];
  }
}
