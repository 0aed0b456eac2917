/*
 * What serverless.yml gives the files and batches functions and test/setupEnv.ts does
 * not: their handler modules read it at import, so this is imported before them.
 */
process.env.BUCKET_NAME ??= 'inference-platform-test';
process.env.INGEST_QUEUE_URL ??= 'http://127.0.0.1:9324/000000000000/inference-platform-test-ingest';
