import { ConfigError, loadConfig, modelKey } from '../../../shared/config/config';
import { BackendRef } from '../../../shared/domain/catalogue';
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

  it("sizes each pool from its servers and their max_num_seqs (GPU_POOL_<KEY>_MAX_NUM_SEQS, vLLM's 256 by default)", () => {
    // Prepare
    const env = {
      GPU_POOL_GPT_OSS_20B_URLS: 'http://10.0.1.10:8000, http://10.0.1.11:8000',
      GPU_POOL_GPT_OSS_120B_URLS: 'http://10.0.2.10:8000',
      GPU_POOL_GPT_OSS_120B_MAX_NUM_SEQS: '1024',
      GPU_POOL_BGE_M3_URLS: 'http://10.0.3.10:8000',
    };

    // Act
    const small = backendsOf(env, 'gpt-oss-20b')!;
    const large = backendsOf(env, 'gpt-oss-120b')!;
    const bge = backendsOf(env, 'bge-m3')!;

    // Assess: twice the sequences the servers run at once; chat starts at those sequences,
    // embeddings (calls of 64) at the ceiling, one server-full queued behind the running one
    expect(small[0]).toMatchObject({ maxNumSeqs: 256, maxConcurrency: 1024, expectedConcurrency: 512, serverSlots: 512 });
    expect(large[0]).toMatchObject({ maxNumSeqs: 1024, maxConcurrency: 2048, expectedConcurrency: 1024, serverSlots: 1024 });
    expect(bge[0]).toMatchObject({ maxNumSeqs: 256, maxConcurrency: 8, expectedConcurrency: 8 });
    expect(bge[0]?.serverSlots).toBeUndefined();
    expect(small[1]).toMatchObject({ provider: 'bedrock', maxConcurrency: 32, expectedConcurrency: 16 });
    expect(small[1]?.serverSlots).toBeUndefined();
  });

  it('refuses a max_num_seqs that is not a whole number of at least 1, naming it', () => {
    // Act
    const load = () => loadConfig({ GPU_POOL_GPT_OSS_20B_MAX_NUM_SEQS: 'lots' });

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/GPU_POOL_GPT_OSS_20B_MAX_NUM_SEQS/);
  });
});

describe('sizeConcurrency: how many calls a backend takes, when the catalogue does not say', () => {
  const parse = (backend: Record<string, unknown>) => BackendRef.parse({ id: 'b', model: 'm', ...backend });

  it('keeps what the catalogue states, and never starts above the ceiling', () => {
    // Act
    const stated = parse({ provider: 'openai-compatible', baseUrls: ['http://10.0.0.1:8000'], maxNumSeqs: 256, maxConcurrency: 100 });
    const high = parse({ provider: 'bedrock', maxConcurrency: 8, expectedConcurrency: 50 });

    // Assess
    expect(stated).toMatchObject({ maxConcurrency: 100, expectedConcurrency: 100, serverSlots: 256 });
    expect(high).toMatchObject({ maxConcurrency: 8, expectedConcurrency: 8 });
    expect(parse({ provider: 'openai-compatible', baseUrls: ['http://10.0.0.1:8000'], maxNumSeqs: 256, serverSlots: 200 })).toMatchObject({
      serverSlots: 200,
    });
  });

  it('starts a pool of one-item calls at the sequences its servers run, with as many again queued as its ceiling', () => {
    // Act
    const pool = parse({ provider: 'openai-compatible', baseUrls: ['http://10.0.0.1:8000', 'http://10.0.0.2:8000'], maxNumSeqs: 100 });

    // Assess
    expect(pool).toMatchObject({ maxConcurrency: 400, expectedConcurrency: 200, serverSlots: 200 });
  });

  it('starts a pool of batched calls at its ceiling: one server-full queued behind the running one from the first call', () => {
    // Prepare: 2 servers of 100 sequences, in calls of 64: 200 / 64 = 3.1, so 4 calls fill them
    const urls = ['http://10.0.0.1:8000', 'http://10.0.0.2:8000'];

    // Act
    const batched = parse({ provider: 'openai-compatible', baseUrls: urls, maxNumSeqs: 100, maxBatchItems: 64 });
    const capped = parse({ provider: 'openai-compatible', baseUrls: urls, maxNumSeqs: 100, maxBatchItems: 64, maxConcurrency: 6 });
    const stated = parse({ provider: 'openai-compatible', baseUrls: urls, maxNumSeqs: 100, maxBatchItems: 64, expectedConcurrency: 5 });

    // Assess
    expect(batched).toMatchObject({ maxConcurrency: 8, expectedConcurrency: 8 });
    expect(batched.serverSlots).toBeUndefined();
    expect(capped).toMatchObject({ maxConcurrency: 6, expectedConcurrency: 6 });
    expect(stated).toMatchObject({ maxConcurrency: 8, expectedConcurrency: 5 });
  });

  it('gives a backend of unknown size 16, starting at half, batched or not', () => {
    // Act
    const pool = parse({ provider: 'openai-compatible', baseUrls: ['http://10.0.0.1:8000'] });
    const batched = parse({ provider: 'openai-compatible', baseUrls: ['http://10.0.0.1:8000'], maxBatchItems: 64 });
    const bedrock = parse({ provider: 'bedrock', maxConcurrency: 5 });

    // Assess
    expect(pool).toMatchObject({ maxConcurrency: 16, expectedConcurrency: 8 });
    expect(pool.serverSlots).toBeUndefined();
    expect(batched).toMatchObject({ maxConcurrency: 16, expectedConcurrency: 8 });
    expect(bedrock).toMatchObject({ maxConcurrency: 5, expectedConcurrency: 3 });
  });

  it('still reports a bad value as the schema would', () => {
    // Act
    const parsed = BackendRef.safeParse({ id: 'b', model: 'm', provider: 'bedrock', maxConcurrency: 'many' });

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['maxConcurrency']);
  });
});
