import { ModelCatalogue } from '../../../shared/domain/catalogue';
import { ModelNotFoundError } from '../../../shared/errors/requestErrors';
import { ModelListing } from '../../../shared/realtime/ModelListing';
import { ModelDirectory } from '../../../shared/routing/ModelDirectory';

const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'gpt-oss-20b',
      kind: 'chat',
      contextTokens: 1000,
      backends: [{ provider: 'bedrock', id: 'bedrock', model: 'openai.gpt-oss-20b-1:0' }],
    },
    {
      id: 'bge-m3',
      kind: 'embeddings',
      ownedBy: 'baai',
      contextTokens: 1000,
      backends: [{ provider: 'openai-compatible', id: 'gpu-embed', model: 'BAAI/bge-m3', baseUrls: ['http://127.0.0.1:1'] }],
    },
  ],
});

describe('ModelDirectory', () => {
  it('lists the catalogue in order and looks a model up by name and kind, 404 otherwise', () => {
    const models = new ModelDirectory(catalogue);

    expect(models.listModels().map((model) => model.id)).toEqual(['gpt-oss-20b', 'bge-m3']);
    expect(models.model('bge-m3', 'embeddings').ownedBy).toBe('baai');
    expect(models.get('nope')).toBeUndefined();
    expect(() => models.model('nope')).toThrow(ModelNotFoundError);
    expect(() => models.model('bge-m3', 'chat')).toThrow('cannot serve chat completions');
  });

  it('serves GET /v1/models through ModelListing without any provider', () => {
    const listing = new ModelListing(new ModelDirectory(catalogue));

    expect(listing.listModels()).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-oss-20b', object: 'model', created: expect.any(Number), owned_by: 'platform' },
        { id: 'bge-m3', object: 'model', created: expect.any(Number), owned_by: 'baai' },
      ],
    });
    expect(() => listing.getModel('nope')).toThrow(ModelNotFoundError);
  });
});
