import { ObjectChangedError, type ObjectMissingError } from '../job/errors';
import type { ChunkMessage, Job, JobFailure } from '../job/Job';
import { lineOutput, refused, type LineOutput } from './lineRequests';

/** The failure codes of a job whose input is gone: replaced, or deleted. */
export const INPUT_LOST_CODES: readonly string[] = ['file_changed', 'file_not_found'];

/** Why a job whose input was replaced or deleted fails; every line not yet run gets this code. */
export function inputLostFailure(error: ObjectChangedError | ObjectMissingError, job: Job): JobFailure {
  const { bucket, key } = job.source;
  return error instanceof ObjectChangedError
    ? {
        code: 'file_changed',
        message: `The input object s3://${bucket}/${key} was replaced while the batch ran; its lines not yet run are in the errors file, and the new upload is a batch of its own.`,
      }
    : {
        code: 'file_not_found',
        message: `The input object s3://${bucket}/${key} was deleted while the batch ran; its lines not yet run are in the errors file.`,
      };
}

/** The failure already recorded on the job for a lost input, if there is one. */
export function recordedInputLoss(job: Job): JobFailure | undefined {
  return job.failure && INPUT_LOST_CODES.includes(job.failure.code) ? job.failure : undefined;
}

/**
 * The request line numbers of a chunk, from its plan alone (the input cannot be read):
 * every line of its range but the ones ingest refused and the blank ones.
 */
export function requestLineNumbers(chunk: ChunkMessage['chunk']): number[] {
  const notRequests = new Set([...chunk.skipLines, ...(chunk.blankLines ?? [])]);
  const numbers: number[] = [];
  for (let line = chunk.firstLine; line < chunk.firstLine + chunk.lineCount; line += 1) {
    if (!notRequests.has(line)) numbers.push(line);
  }
  return numbers;
}

/**
 * Every request line of the chunk as an error line with the failure's code (the custom
 * id is unknown without the input: `line-<n>`, as for a line whose id could not be read),
 * so each line of the input still ends in exactly one output file.
 */
export function lostInputOutputs(message: ChunkMessage, job: Job, failure: JobFailure, newId: () => string): LineOutput[] {
  return chunkLinesAsErrors(message.chunk, job.id, failure, newId);
}

/** Every request line of a chunk (from its plan) as an error line with `reason`'s code and message. */
export function chunkLinesAsErrors(
  chunk: ChunkMessage['chunk'],
  jobId: string,
  reason: { code: string; message: string },
  newId: () => string,
): LineOutput[] {
  const options = { jobId, newId, created: 0 };
  return requestLineNumbers(chunk).map((lineNumber) =>
    lineOutput(refused(lineNumber, undefined, reason.code, reason.message), [], options),
  );
}
