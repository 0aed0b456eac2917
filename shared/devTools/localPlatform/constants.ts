/**
 * The prefix of the one machine-readable line `npm start` prints once everything listens,
 * followed by a space and JSON: `{"api","dynamodb","simulator","apiKey","tableName","s3","sqs",
 * "events","bucket","queues":{"<logical id>":"<queue url>"}}`.
 */
export const READY_MARKER = 'LOCAL_PLATFORM_READY';
