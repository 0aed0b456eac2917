import { BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { splitTokens, toChatResult, toEmbeddingResults } from '../../../shared/providers/openai/openAiResponses';

describe('splitTokens', () => {
  it('shares a total in proportion and adds up exactly', () => {
    // Act
    const shares = splitTokens(10, [1, 1, 1]);

    // Assess
    expect(shares.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });

  it('follows the weights', () => {
    // Act
    const shares = splitTokens(100, [1, 3]);

    // Assess
    expect(shares).toEqual([25, 75]);
  });
});

describe('toEmbeddingResults', () => {
  it('rejects a repeated index as a broken server', () => {
    // Prepare
    const body = {
      data: [
        { index: 0, embedding: [1] },
        { index: 0, embedding: [2] },
      ],
      usage: { prompt_tokens: 2 },
    };

    // Act
    const act = () => toEmbeddingResults(body, ['a', 'b'], 'gpu-pool');

    // Assess
    expect(act).toThrow(BackendUnavailableError);
  });

  it('rejects base64 embeddings, which were not asked for', () => {
    // Act
    const act = () => toEmbeddingResults({ data: [{ index: 0, embedding: 'AAAA' }] }, ['a'], undefined);

    // Assess
    expect(act).toThrow(BackendUnavailableError);
  });
});

describe('toChatResult', () => {
  it('treats an answer without choices as a broken server', () => {
    // Act
    const act = () => toChatResult({ choices: [] }, 'gpu-pool');

    // Assess
    expect(act).toThrow(BackendUnavailableError);
  });
});
