import {
  embeddingFor,
  fromBase64Float32,
  generateReply,
  promptTokensOf,
  toBase64Float32,
} from '../../../../shared/devTools/gpuSimulator/outputs';

describe('deterministic outputs', () => {
  it('gives the same reply for the same model and prompt, and another for another prompt', () => {
    // Prepare
    const request = { model: 'gpt-oss-20b', prompt: 'hello', maxTokens: 1000 };

    // Act
    const first = generateReply(request);
    const again = generateReply({ ...request });
    const other = generateReply({ ...request, prompt: 'hello!' });
    const otherModel = generateReply({ ...request, model: 'gpt-oss-120b' });

    // Assess
    expect(again).toEqual(first);
    expect(first.text).toMatch(/^sim reply [0-9a-f]{8}: /);
    expect(other.text).not.toBe(first.text);
    expect(otherModel.text).not.toBe(first.text);
    expect(first.stop).toBe('natural');
  });

  it('keeps the natural length within 8..32 tokens and cuts at maxTokens with stop cause length', () => {
    // Prepare
    const prompts = Array.from({ length: 200 }, (_, i) => `prompt ${i}`);

    // Act
    const natural = prompts.map((prompt) => generateReply({ model: 'm', prompt, maxTokens: 1000 }).completionTokens);
    const capped = generateReply({ model: 'm', prompt: 'prompt 0', maxTokens: 3 });

    // Assess
    expect(Math.min(...natural)).toBeGreaterThanOrEqual(8);
    expect(Math.max(...natural)).toBeLessThanOrEqual(32);
    expect(new Set(natural).size).toBeGreaterThan(5);
    expect(capped).toMatchObject({ completionTokens: 3, stop: 'length' });
  });

  it('cuts the reply at a stop sequence', () => {
    // Prepare
    const full = generateReply({ model: 'm', prompt: 'p', maxTokens: 1000 });

    // Act
    const stopped = generateReply({ model: 'm', prompt: 'p', maxTokens: 1000, stopSequences: [':'] });

    // Assess
    expect(stopped.text).toBe(full.text.slice(0, full.text.indexOf(':')));
    expect(stopped.stop).toBe('stop_sequence');
  });

  it('counts prompt tokens as ceil(chars / 4) plus 4 per message', () => {
    // Prepare
    const messages = [
      { role: 'system', text: 'abcde' },
      { role: 'user', text: '' },
    ];

    // Act
    const tokens = promptTokensOf(messages);

    // Assess
    expect(tokens).toBe(2 + 4 + 0 + 4);
  });

  it('derives a unit-norm vector of the asked size from the text and model', () => {
    // Prepare / Act
    const vector = embeddingFor('bge-m3', 'some text', 1024);
    const again = embeddingFor('bge-m3', 'some text', 1024);
    const otherText = embeddingFor('bge-m3', 'other text', 1024);
    const otherModel = embeddingFor('titan', 'some text', 1024);
    const small = embeddingFor('bge-m3', 'some text', 256);

    // Assess
    expect(vector).toHaveLength(1024);
    expect(again).toEqual(vector);
    expect(otherText).not.toEqual(vector);
    expect(otherModel).not.toEqual(vector);
    expect(small).toHaveLength(256);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    expect(Math.hypot(...small)).toBeCloseTo(1, 5);
  });

  it('encodes vectors as base64 float32 little-endian that decode to exactly the same numbers', () => {
    // Prepare
    const vector = embeddingFor('bge-m3', 'round trip', 64);

    // Act
    const encoded = toBase64Float32(vector);
    const decoded = fromBase64Float32(encoded);

    // Assess
    expect(Buffer.from(encoded, 'base64')).toHaveLength(64 * 4);
    expect(Buffer.from(encoded, 'base64').readFloatLE(4)).toBe(vector[1]);
    expect(decoded).toEqual(vector);
  });
});
