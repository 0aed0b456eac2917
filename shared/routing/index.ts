export * from './CircuitBreaker';
export * from './ModelRouter';
export * from './defaultCatalogue';
export * from './backendStatus';
