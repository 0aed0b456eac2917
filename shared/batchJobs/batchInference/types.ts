import type { ChunkMessage } from '../job/Job';
import type { MessageSender } from '../../domain/ports';
import type { RunChunkDeps } from '../run/types';
import type { BatchInferenceService, BatchInferenceStore } from './ports';

/** What the batch-inference route needs: the worker's deps, Bedrock, the tracking store and the work queue. */
export interface BatchInferenceDeps extends RunChunkDeps {
  batchJobs: BatchInferenceStore;
  bedrock: BatchInferenceService;
  /** The work queue: a chunk Bedrock could not serve goes back there to run on demand. */
  chunks: MessageSender<ChunkMessage>;
}

/** Where the route's files live in the bucket: the service role reads the one prefix and writes the other. */
export const batchInferenceKeys = {
  inputPrefix: 'bedrock-batch/input/',
  outputPrefix: 'bedrock-batch/output/',
  input: (jobId: string, chunkIndex: number) => `bedrock-batch/input/${jobId}/${String(chunkIndex).padStart(6, '0')}.jsonl`,
  output: (jobId: string, chunkIndex: number) => `bedrock-batch/output/${jobId}/${String(chunkIndex).padStart(6, '0')}/`,
};
