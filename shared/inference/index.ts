export * from './InferenceService';
export * from './createInferenceService';
export * from './outcomeErrors';
export * from './chatRequests';
export * from './embeddingsRequests';
export * from './chatResponses';
