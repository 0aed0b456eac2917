export * from './InferenceService';
export * from './createInferenceService';
export * from './outcomeErrors';
