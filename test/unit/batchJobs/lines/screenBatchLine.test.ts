import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBatchLine } from '../../../../shared/batchJobs/lines/lineFormats';
import { screenBatchLine } from '../../../../shared/batchJobs/lines/screenBatchLine';
import type { LineContext } from '../../../../shared/batchJobs/lines/types';
import { chatLine, embeddingsLine, lineContext } from './batchFixtures';

const chat = { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] };
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ custom_id: 'req-1', method: 'POST', url: '/v1/chat/completions', body: chat, ...fields });

/** Every line of the JSONL corpus, plus lines broken in each way the screen and the parse tell apart. */
function sampleLines(): string[] {
  const dir = join(__dirname, '../../../corpus/jsonl');
  const corpus = readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n'))
    .filter((text) => text.trim() !== '' && text.length < 100_000);
  return [
    ...corpus,
    chatLine('a'),
    embeddingsLine('b'),
    line({ body: { ...chat, messages: [] } }),
    line({ body: { ...chat, model: 'text-embedding-3-small' } }),
    line({ body: { ...chat, model: 7 } }),
    line({ body: { messages: chat.messages } }),
    line({ body: { ...chat, temperature: 9 } }),
    line({ url: '/v1/embeddings' }),
    line({ custom_id: 'x'.repeat(513) }),
    line({ extra: true }),
    line({ method: 'GET' }),
    JSON.stringify({ recordId: 'r', modelInput: { messages: [{ role: 'user', content: [{ text: 'hi' }] }] } }),
    JSON.stringify({ recordId: 'r', modelInput: { inputText: 'hi' } }),
    JSON.stringify({ modelInput: { messages: [] } }),
    JSON.stringify({ recordId: 'r', modelInput: 'hi' }),
  ];
}

const CONTEXTS: [string, LineContext][] = [
  ['no context', lineContext()],
  ['an OpenAI file of chat', lineContext({ format: 'openai', endpoint: '/v1/chat/completions' })],
  ['a Bedrock file of gpt-oss-20b', lineContext({ format: 'bedrock', bedrockModel: 'gpt-oss-20b' })],
  ['a Bedrock file without a model', lineContext({ format: 'bedrock' })],
];

describe('screenBatchLine: what ingest checks of a line', () => {
  it.each(CONTEXTS)('refuses a line exactly as the full parse does, and passes every line it accepts (%s)', (_name, context) => {
    // Prepare
    const lines = sampleLines();
    let refused = 0;
    let leftToWorker = 0;
    for (const [index, text] of lines.entries()) {
      // Act
      const screened = screenBatchLine(text, index + 1, context);
      const parsed = parseBatchLine(text, index + 1, context);
      // Assess: a refusal is the parse's own; an accepted request is screened with the same id, format, url and model.
      if (!screened.ok) {
        refused += 1;
        expect(screened).toEqual(parsed);
      } else if (parsed.ok) {
        expect(screened).toMatchObject({ customId: parsed.customId, format: parsed.format, url: parsed.url, model: parsed.model });
      } else {
        leftToWorker += 1;
        expect(['invalid_body', 'unknown_parameter', 'unsupported_parameter', 'model_not_found']).toContain(parsed.code);
        expect(parsed.customId).toBe(screened.customId);
      }
    }
    expect(refused).toBeGreaterThan(0);
    if (context.format !== 'bedrock' || context.bedrockModel) expect(leftToWorker).toBeGreaterThan(0);
  });

  it('leaves a request broken inside its body to the worker, which refuses it by name', () => {
    // Act
    const screened = screenBatchLine(line({ body: { ...chat, temperature: 9 } }), 3, lineContext());
    const parsed = parseBatchLine(line({ body: { ...chat, temperature: 9 } }), 3, lineContext());
    // Assess
    expect(screened).toMatchObject({ ok: true, customId: 'req-1', model: 'gpt-oss-20b', url: '/v1/chat/completions' });
    expect(parsed).toMatchObject({ ok: false, code: 'invalid_body', message: expect.stringMatching(/^Line 3: .*'body.temperature'/) });
  });
});
