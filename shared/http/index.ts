export * from './responses';
export * from './openAiErrors';
export * from './jsonBody';
export * from './tenant';
export * from './validation';
export * from './httpErrors';
export * from './httpRoute';
export * from './multipartForm';
