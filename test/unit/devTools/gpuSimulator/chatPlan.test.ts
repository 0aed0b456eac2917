import { planChat, splitIntoPieces, type ChatPlanRequest } from '../../../../shared/devTools/gpuSimulator/chatPlan';

const BASE: ChatPlanRequest = {
  model: 'm',
  prompt: '[["user","hi"]]',
  lastUserText: 'hi',
  afterToolResult: false,
  tools: [],
  toolChoice: 'none',
  parallelToolCalls: true,
  responseFormat: { kind: 'text' },
  reasoningEffort: null,
  maxTokens: 200,
  stopSequences: [],
};
const TOOL = { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } };

describe('splitIntoPieces', () => {
  it.each([
    ['sim reply ab12: one two three', 4],
    ['sim reply ab12: one two three', 1],
    ['{"a":"bcdefgh"}', 4],
    ['abc', 5],
  ])('cuts %j into %i pieces that join back to it', (text, count) => {
    // Act
    const pieces = splitIntoPieces(text, count);

    // Assess
    expect(pieces).toHaveLength(count);
    expect(pieces.join('')).toBe(text);
  });
});

describe('planChat', () => {
  it('plans a plain reply as one piece per completion token', () => {
    // Act
    const plan = planChat(BASE);

    // Assess
    expect(plan.toolCalls).toEqual([]);
    expect(plan.pieces.map((piece) => (piece.kind === 'content' ? piece.text : '')).join('')).toBe(plan.content);
    expect(plan.completionTokens).toBe(plan.pieces.length);
    expect(plan.finish).toBe('natural');
  });

  it('reasons first, and lets maxTokens cap reasoning and answer together', () => {
    // Act
    const full = planChat({ ...BASE, reasoningEffort: 'medium' });
    const capped = planChat({ ...BASE, reasoningEffort: 'medium', maxTokens: 30 });
    const starved = planChat({ ...BASE, reasoningEffort: 'high', maxTokens: 5 });

    // Assess
    expect(full.reasoningTokens).toBe(24);
    expect(full.pieces.slice(0, 24).every((piece) => piece.kind === 'reasoning')).toBe(true);
    expect(capped.completionTokens).toBeLessThanOrEqual(30);
    expect(starved).toMatchObject({ reasoningTokens: 5, completionTokens: 5, content: null, finish: 'length' });
  });

  it('calls a tool with a start piece, then argument pieces, and ends with tool_calls', () => {
    // Act
    const plan = planChat({ ...BASE, tools: [TOOL], toolChoice: 'required' });

    // Assess
    expect(plan.finish).toBe('tool_calls');
    expect(plan.content).toBeNull();
    expect(plan.pieces[0]).toEqual({ kind: 'tool', index: 0, start: true, arguments: '' });
    const args = plan.pieces.map((piece) => (piece.kind === 'tool' ? piece.arguments : '')).join('');
    expect(JSON.parse(args)).toEqual({ q: expect.any(String) });
    expect(plan.toolCalls[0]?.arguments).toBe(args);
  });

  it('answers text after a tool result, whatever tool_choice says', () => {
    // Act
    const plan = planChat({ ...BASE, tools: [TOOL], toolChoice: 'required', afterToolResult: true });

    // Assess
    expect(plan.toolCalls).toEqual([]);
    expect(plan.content).toMatch(/^sim reply /);
  });

  it('refuses a named tool_choice that is not among the tools', () => {
    // Act / Assess
    expect(() => planChat({ ...BASE, tools: [TOOL], toolChoice: { name: 'other' } })).toThrow(/other/);
  });
});
