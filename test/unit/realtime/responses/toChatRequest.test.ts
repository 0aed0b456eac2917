import { ChatCompletionRequest } from '../../../../shared/domain/chat';
import { parseRequest } from '../../../../shared/domain/validation';
import { ResponsesRequest } from '../../../../shared/realtime/responses/requestSchema';
import { toChatRequest } from '../../../../shared/realtime/responses/toChatRequest';

const chat = (body: unknown) => toChatRequest(parseRequest(ResponsesRequest, body));

describe('toChatRequest', () => {
  it('turns a string input into one user message, with nothing else set', () => {
    expect(chat({ model: 'm', input: 'hi' })).toEqual({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('carries instructions, history, function calls and their outputs in chat form', () => {
    const body = chat({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'system', content: 'sys' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'input_text', text: 'b' },
          ],
        },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'hmm' }] },
        {
          type: 'message',
          role: 'assistant',
          id: 'msg_1',
          status: 'completed',
          content: [{ type: 'output_text', text: 'checking', annotations: [] }],
        },
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"x":1}', status: 'completed' },
        { type: 'function_call', call_id: 'call_2', name: 'g', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'one' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'two' }] },
        { type: 'function_call', call_id: 'call_3', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_3', output: 'three' },
        { role: 'developer', content: 'dev' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'ab' },
      {
        role: 'assistant',
        content: 'checking',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
          { id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'one' },
      { role: 'tool', tool_call_id: 'call_2', content: 'two' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_3', content: 'three' },
      { role: 'developer', content: 'dev' },
    ]);
  });

  it('carries tools, choices, format, reasoning effort, limits and streaming', () => {
    const body = chat({
      model: 'm',
      input: 'hi',
      tools: [
        { type: 'function', name: 'f', description: 'does f', parameters: { type: 'object', properties: {} }, strict: true },
        { type: 'function', name: 'g' },
      ],
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true, description: 'the answer' } },
      reasoning: { effort: 'high', summary: 'auto' },
      max_output_tokens: 50,
      temperature: 0.2,
      top_p: 0.5,
      metadata: { a: 'b' },
      user: 'u',
      stream: true,
      store: false,
    });
    expect(body).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        { type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object', properties: {} }, strict: true } },
        { type: 'function', function: { name: 'g' } },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'out', schema: { type: 'object' }, strict: true, description: 'the answer' },
      },
      reasoning_effort: 'high',
      max_completion_tokens: 50,
      temperature: 0.2,
      top_p: 0.5,
      metadata: { a: 'b' },
      user: 'u',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('maps the other text formats and tool choice modes', () => {
    expect(chat({ model: 'm', input: 'x', text: { format: { type: 'json_object' } }, tool_choice: 'required' })).toMatchObject({
      response_format: { type: 'json_object' },
      tool_choice: 'required',
    });
    const plain = chat({ model: 'm', input: 'x', text: { format: { type: 'text' } }, stream: false });
    expect(plain).not.toHaveProperty('response_format');
    expect(plain).not.toHaveProperty('stream');
  });

  it("gives a body the platform's chat schema takes, for a plain text conversation", () => {
    const body = chat({
      model: 'm',
      instructions: 'sys',
      input: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
      ],
      max_output_tokens: 10,
      temperature: 0,
      top_p: 1,
      metadata: { k: 'v' },
      user: 'u',
    });
    expect(() => parseRequest(ChatCompletionRequest, body)).not.toThrow();
  });
});
