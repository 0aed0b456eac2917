export * from './chat';
export * from './embeddings';
export * from './openAiError';
export * from './catalogue';
export * from './inference';
export * from './tokens';
export * from './structuredOutput';
