export * from './PlatformError';
export * from './requestErrors';
export * from './backendErrors';
