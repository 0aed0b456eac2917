import { parseRequest } from '../../../../shared/domain/validation';
import { ResponsesRequest } from '../../../../shared/realtime/responses/requestSchema';
import { toResponse } from '../../../../shared/realtime/responses/toResponse';
import type { ChatWireCompletion } from '../../../../shared/realtime/responses/chatWire';

const req = (extra: object = {}) => parseRequest(ResponsesRequest, { model: 'chat-a', input: 'hi', ...extra });
const meta = { createdAt: 1_700_000_000, id: 'resp_test', now: () => 1_700_000_005 };

function completion(
  message: ChatWireCompletion['choices'][0]['message'],
  finish = 'stop',
  usage: ChatWireCompletion['usage'] = {
    prompt_tokens: 10,
    completion_tokens: 5,
    total_tokens: 15,
  },
): ChatWireCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'chat-a',
    choices: [{ index: 0, message, finish_reason: finish }],
    usage,
  };
}

describe('toResponse', () => {
  it('answers text as a completed message item, echoing the request', () => {
    const response = toResponse(
      completion({ role: 'assistant', content: 'Hello!' }),
      req({ instructions: 'be nice', temperature: 0.3, metadata: { k: 'v' } }),
      meta,
    );
    expect(response).toMatchObject({
      id: 'resp_test',
      object: 'response',
      created_at: 1_700_000_000,
      completed_at: 1_700_000_005,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'chat-a',
      instructions: 'be nice',
      temperature: 0.3,
      top_p: null,
      metadata: { k: 'v' },
      store: false,
      previous_response_id: null,
      parallel_tool_calls: true,
      tool_choice: 'auto',
      tools: [],
      text: { format: { type: 'text' } },
      truncation: 'disabled',
      max_output_tokens: null,
      reasoning: { effort: null, summary: null },
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 15,
      },
    });
    expect(response.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Hello!', annotations: [], logprobs: [] }],
      },
    ]);
    expect(response).not.toHaveProperty('output_text');
  });

  it('answers reasoning, text and tool calls as items in that order, with reasoning tokens', () => {
    const response = toResponse(
      completion(
        {
          role: 'assistant',
          content: 'Checking.',
          reasoning_content: 'The user wants weather.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        'tool_calls',
        {
          prompt_tokens: 20,
          completion_tokens: 30,
          completion_tokens_details: { reasoning_tokens: 12 },
          prompt_tokens_details: { cached_tokens: 4 },
        },
      ),
      req({ reasoning: { effort: 'low' }, tools: [{ type: 'function', name: 'weather', parameters: { type: 'object' } }] }),
      meta,
    );
    expect(response.status).toBe('completed');
    expect(response.output.map((item) => item.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect(response.output[0]).toEqual({
      id: expect.stringMatching(/^rs_/),
      type: 'reasoning',
      status: 'completed',
      encrypted_content: null,
      summary: [],
      content: [{ type: 'reasoning_text', text: 'The user wants weather.' }],
    });
    expect(response.output[2]).toEqual({
      id: expect.stringMatching(/^fc_/),
      type: 'function_call',
      status: 'completed',
      call_id: 'call_1',
      name: 'weather',
      arguments: '{"city":"Paris"}',
    });
    expect(response.usage).toEqual({
      input_tokens: 20,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 12 },
      total_tokens: 50,
    });
    expect(response.tools).toEqual([
      { type: 'function', name: 'weather', description: null, parameters: { type: 'object' }, strict: null },
    ]);
    expect(response.reasoning).toEqual({ effort: 'low', summary: null });
  });

  it('gives the reasoning as a summary too when one was asked for', () => {
    const response = toResponse(completion({ content: 'ok', reasoning: 'because' }), req({ reasoning: { summary: 'auto' } }), meta);
    expect(response.output[0]).toMatchObject({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: 'because' }],
      content: [{ type: 'reasoning_text', text: 'because' }],
    });
  });

  it('is incomplete, with its last item incomplete, when the output limit cut it short', () => {
    const response = toResponse(completion({ content: 'Once upon a' }, 'length'), req({ max_output_tokens: 3 }), meta);
    expect(response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      completed_at: null,
      max_output_tokens: 3,
    });
    expect(response.output[0]!.status).toBe('incomplete');
    expect(toResponse(completion({ content: '' }, 'content_filter'), req(), meta)).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
      output: [],
    });
  });

  it('gives a fresh resp_ id and zero usage when the backend sent none', () => {
    const response = toResponse(completion({ content: 'x' }, 'stop', null), req(), { createdAt: 1 });
    expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(response.usage).toMatchObject({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });
  });
});
