import { InvalidRequestError } from '../../../../shared/errors/requestErrors';
import { parseRequest } from '../../../../shared/domain/validation';
import { ResponsesRequest } from '../../../../shared/realtime/responses/requestSchema';

function refusal(body: unknown): InvalidRequestError {
  try {
    parseRequest(ResponsesRequest, body);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`);
}

const base = { model: 'chat-a', input: 'hi' };

describe('ResponsesRequest', () => {
  it('takes a string input as one user message', () => {
    expect(parseRequest(ResponsesRequest, base).input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
    ]);
  });

  it('takes every supported field', () => {
    const body = {
      ...base,
      input: [
        { role: 'developer', content: 'be brief' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'weather?' }] },
        { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'think' }], encrypted_content: null },
        {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'let me look', annotations: [], logprobs: [] }],
        },
        { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"temp":20}' },
      ],
      instructions: 'You are helpful.',
      tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'weather' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'low', summary: 'auto' },
      max_output_tokens: 100,
      temperature: 0.5,
      top_p: 0.9,
      stream: true,
      metadata: { trace: 'x' },
      user: 'u1',
      store: false,
      previous_response_id: null,
      include: ['reasoning.encrypted_content'],
      truncation: 'disabled',
      service_tier: 'auto',
      background: false,
    };
    expect(() => parseRequest(ResponsesRequest, body)).not.toThrow();
  });

  it('takes a second turn as the Vercel AI SDK sends it with store: false', () => {
    const body = {
      model: 'chat-a',
      input: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
        { type: 'reasoning', id: 'rs_1', encrypted_content: null, summary: [{ type: 'summary_text', text: 'need the tool' }] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }], id: 'msg_1' },
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}', id: 'fc_1' },
        { type: 'function_call_output', call_id: 'call_1', output: '20C' },
      ],
      tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object', properties: {} }, strict: false }],
      tool_choice: 'auto',
      text: { format: { type: 'json_schema', strict: true, name: 'response', description: 'answer', schema: { type: 'object' } } },
      store: false,
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'low', summary: 'auto' },
      max_output_tokens: 200,
    };
    expect(() => parseRequest(ResponsesRequest, body)).not.toThrow();
  });

  it.each([
    [{ ...base, seed: 1 }, 'seed', 'Unrecognized request argument supplied: seed'],
    [{ ...base, input: [{ role: 'user', content: 'x', extra: 1 }] }, 'input[0].extra', 'Unrecognized'],
    [{ ...base, tools: [{ type: 'web_search' }] }, 'tools[0].type', "only 'function' tools"],
    [{ ...base, tools: [{ type: 'function', name: 'f', parameters: {}, bogus: 1 }] }, 'tools[0].bogus', 'Unrecognized'],
    [{ ...base, previous_response_id: 'resp_1' }, 'previous_response_id', 'stateless'],
    [{ ...base, conversation: 'conv_1' }, 'conversation', 'stateless'],
    [{ ...base, store: true }, 'store', 'stateless'],
    [{ ...base, background: true }, 'background', 'storage'],
    [{ ...base, include: ['message.output_text.logprobs'] }, 'include[0]', 'reasoning.encrypted_content'],
    [{ ...base, truncation: 'auto' }, 'truncation', "'disabled'"],
    [{ ...base, service_tier: 'flex' }, 'service_tier', "'auto'"],
    [{ ...base, input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].id', 'store to false'],
    [{ ...base, input: [{ type: 'computer_call_output', call_id: 'c' }] }, 'input[0].type', "only 'message'"],
    [
      { ...base, input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'http://x' }] }] },
      'input[0].content[0].type',
      'text only',
    ],
    [{ ...base, input: [{ role: 'tool', content: 'x' }] }, 'input[0].role', "'assistant'"],
    [{ ...base, tool_choice: { type: 'web_search_preview' } }, 'tool_choice', "'required'"],
    [{ ...base, text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name', 'Missing required parameter'],
    [{ ...base, text: { verbosity: 'low' } }, 'text.verbosity', 'Unrecognized'],
    [{ ...base, reasoning: { effort: 'extreme' } }, 'reasoning.effort', 'Invalid value'],
    [{ model: 'chat-a' }, 'input', 'Missing required parameter'],
  ])('refuses %j naming %s', (body, param, words) => {
    const error = refusal(body);
    expect(error.param).toBe(param);
    expect(error.message).toContain(words);
  });
});
