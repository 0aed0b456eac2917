/**
 * The environment every test process starts with: what a deployed function would get,
 * pointing nowhere real (tests that need a server start one on 127.0.0.1 and say so).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.STAGE ??= 'test';
process.env.TABLE_NAME ??= 'inference-platform-test';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// EMF lines on stdout would drown test output; the tests that read metrics turn them on.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.BUCKET_NAME ??= 'inference-platform-test';
process.env.INGEST_QUEUE_URL ??= 'http://127.0.0.1:9/000000000000/inference-platform-test-ingest';
process.env.WORK_QUEUE_URL ??= 'http://127.0.0.1:9/000000000000/inference-platform-test-work';
process.env.FINALIZE_QUEUE_URL ??= 'http://127.0.0.1:9/000000000000/inference-platform-test-finalize';
process.env.EVENT_BUS_NAME ??= 'inference-platform-test';
process.env.REQUESTS_QUEUE_URL ??= 'http://127.0.0.1:9/000000000000/inference-platform-test-requests';
process.env.RESULTS_QUEUE_URL ??= 'http://127.0.0.1:9/000000000000/inference-platform-test-results';
process.env.REPLY_QUEUE_PREFIX ??= 'inference-platform-test-reply-';
import { installAwsLambdaGlobal } from '../shared/devTools/localPlatform/httpResponseStream';

// What the Lambda Node.js runtime provides every function: the `awslambda` global of
// response streaming (streaming handlers call awslambda.streamifyResponse when they load).
installAwsLambdaGlobal();
