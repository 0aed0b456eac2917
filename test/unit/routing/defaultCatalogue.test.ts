import { ConfigError, loadConfig, modelKey } from '../../../shared/config/config';
import { defaultCatalogue } from '../../../shared/routing/defaultCatalogue';

const backendsOf = (env: NodeJS.ProcessEnv, modelId: string) =>
  defaultCatalogue(loadConfig(env)).models.find((model) => model.id === modelId)?.backends;

describe('the built-in catalogue: a pool per model and its Bedrock fallback', () => {
  it('names per-model variables by the model id in capitals', () => {
    // Assess
    expect(modelKey('gpt-oss-20b')).toBe('GPT_OSS_20B');
    expect(modelKey('titan-embed-text-v2')).toBe('TITAN_EMBED_TEXT_V2');
  });

  it("gives each model its own pool from GPU_POOL_<KEY>_URLS, before its Bedrock fallback, and checks each server's models", () => {
    // Prepare
    const env = {
      GPU_POOL_GPT_OSS_20B_URLS: 'http://10.0.1.10:8000, http://10.0.1.11:8000',
      GPU_POOL_GPT_OSS_120B_URLS: 'http://10.0.2.10:8000',
      GPU_POOL_BGE_M3_URLS: 'http://10.0.3.10:8000',
    };

    // Act
    const small = backendsOf(env, 'gpt-oss-20b');
    const large = backendsOf(env, 'gpt-oss-120b');
    const bge = backendsOf(env, 'bge-m3');

    // Assess
    expect(small).toEqual([
      expect.objectContaining({
        provider: 'openai-compatible',
        id: 'gpu-chat:gpt-oss-20b',
        model: 'gpt-oss-20b',
        baseUrls: ['http://10.0.1.10:8000', 'http://10.0.1.11:8000'],
        modelListTtlMs: 30_000,
      }),
      expect.objectContaining({ provider: 'bedrock', model: 'openai.gpt-oss-20b-1:0' }),
    ]);
    expect(large?.map((backend) => [backend.provider, 'baseUrls' in backend ? backend.baseUrls : backend.model])).toEqual([
      ['openai-compatible', ['http://10.0.2.10:8000']],
      ['bedrock', 'openai.gpt-oss-120b-1:0'],
    ]);
    expect(bge).toEqual([expect.objectContaining({ id: 'gpu-embed:bge-m3', baseUrls: ['http://10.0.3.10:8000'], maxBatchItems: 64 })]);
  });

  it('falls back to the servers shared by a kind (GPU_CHAT_URLS) for a model without a pool of its own', () => {
    // Act
    const large = backendsOf({ GPU_CHAT_URLS: 'http://10.0.9.9:8000', GPU_POOL_GPT_OSS_20B_URLS: 'http://10.0.1.10:8000' }, 'gpt-oss-120b');

    // Assess
    expect(large?.[0]).toMatchObject({ id: 'gpu-chat:gpt-oss-120b', baseUrls: ['http://10.0.9.9:8000'] });
  });

  it('takes another Bedrock fallback or none from BEDROCK_FALLBACK_<KEY>, in the Bedrock region', () => {
    // Prepare
    const env = {
      BEDROCK_REGION: 'us-west-2',
      GPU_POOL_GPT_OSS_20B_URLS: 'http://10.0.1.10:8000',
      BEDROCK_FALLBACK_GPT_OSS_20B: 'none',
      BEDROCK_FALLBACK_GPT_OSS_120B: 'us.openai.gpt-oss-120b-1:0',
    };

    // Act
    const small = backendsOf(env, 'gpt-oss-20b');
    const large = backendsOf(env, 'gpt-oss-120b');

    // Assess
    expect(small?.map((backend) => backend.provider)).toEqual(['openai-compatible']);
    expect(large).toEqual([expect.objectContaining({ provider: 'bedrock', model: 'us.openai.gpt-oss-120b-1:0', region: 'us-west-2' })]);
  });

  it('offers a model only when it has a backend: no pool for bge-m3 and no fallback means no bge-m3', () => {
    // Act
    const models = defaultCatalogue(loadConfig({ GPU_POOL_GPT_OSS_20B_URLS: '', BEDROCK_FALLBACK_GPT_OSS_120B: 'none' })).models;

    // Assess
    expect(models.map((model) => model.id)).toEqual(['gpt-oss-20b', 'titan-embed-text-v2']);
  });

  it('refuses a pool variable that is not a list of URLs, naming it', () => {
    // Act
    const load = () => loadConfig({ GPU_POOL_GPT_OSS_20B_URLS: '10.0.1.10:8000' });

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/GPU_POOL_GPT_OSS_20B_URLS/);
  });

  it('prices each pool at its fleet instance type (GPU_POOL_<KEY>_INSTANCE_TYPE), g6e.xlarge otherwise, and offers Flex on the gpt-oss Bedrock backends', () => {
    // Prepare
    const env = {
      GPU_POOL_GPT_OSS_20B_URLS: 'http://10.0.1.10:8000',
      GPU_POOL_GPT_OSS_120B_URLS: 'http://10.0.2.10:8000',
      GPU_POOL_GPT_OSS_120B_INSTANCE_TYPE: 'p5.48xlarge',
    };

    // Act
    const small = backendsOf(env, 'gpt-oss-20b')!;
    const large = backendsOf(env, 'gpt-oss-120b')!;
    const titan = backendsOf(env, 'titan-embed-text-v2')!;

    // Assess
    expect(small[0]).toMatchObject({ provider: 'openai-compatible', instanceType: 'g6e.xlarge' });
    expect(large[0]).toMatchObject({ provider: 'openai-compatible', instanceType: 'p5.48xlarge' });
    expect(large[1]).toMatchObject({ provider: 'bedrock', serviceTiers: ['standard', 'flex', 'priority'] });
    expect(titan[0]).toMatchObject({ provider: 'bedrock', serviceTiers: ['standard'] });
  });
});
