export * from './ApiKeyStore';
export * from './DynamoDbApiKeyStore';
export * from './ApiKeyAuthenticator';
export * from './ApiKeyAdmin';
