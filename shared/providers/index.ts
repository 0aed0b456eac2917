export * from './types';
export * from './createProvider';
export * from './bedrock/BedrockProvider';
export * from './bedrock/createBedrockClient';
export * from './openai/OpenAiCompatibleProvider';
