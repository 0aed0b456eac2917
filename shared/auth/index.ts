export * from './ApiKeyStore';
export * from './DynamoDbApiKeyStore';
export * from './ApiKeyAuthenticator';
