export * from './ApiKeyStore';
export * from '../adapters/aws/DynamoDbApiKeyStore';
export * from './ApiKeyAuthenticator';
export * from './ApiKeyAdmin';
