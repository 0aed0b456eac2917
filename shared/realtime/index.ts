export * from './InferenceService';
export * from '../wiring/realtime';
export * from './outcomeErrors';
export * from './chatRequests';
export * from './embeddingsRequests';
export * from './chatResponses';
