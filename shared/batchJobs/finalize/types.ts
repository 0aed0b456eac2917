import type { JobObserver } from '../job/JobObserver';

import type { ChunkMessage, FinalizeMessage } from '../job/Job';
import type { FileStore, JobStore } from '../job/ports';
import type { EventPublisher, MessageSender, ObjectStore } from '../../domain/ports';
import type { PriceTable } from '../../domain/pricing';

/** What `finalizeJob` needs. */
export interface FinalizeJobDeps {
  /** Told of each job ended; default: the EMF metrics adapter. */
  observer?: JobObserver;
  jobs: JobStore;
  files: FileStore;
  objects: ObjectStore;
  events: EventPublisher;
  /** The id of a job's output file of `kind`: deterministic, so a rerun overwrites its records. */
  newFileId?: (jobId: string, kind: 'output' | 'error' | 'manifest') => string;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Prices the job's usage for the event's `cost`; AWS list prices by default. */
  prices?: PriceTable;
}

/** How a finalize request ended. */
export interface FinalizeResult {
  status: 'finalized' | 'already_final' | 'not_ready' | 'missing';
  outputFileId?: string;
  errorFileId?: string;
}

/** What `expireJobs` needs. */
export interface ExpireJobsDeps {
  jobs: JobStore;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Most jobs looked at per run (the schedule runs again soon). Default 100. */
  limit?: number;
  /** The work queue: a paused job's chunks are sent again when it expires. */
  chunks?: MessageSender<ChunkMessage>;
}

/** What `sweepStalledJobs` needs. */
export interface SweepStalledJobsDeps {
  jobs: JobStore;
  objects: ObjectStore;
  /** The work queue: unfinished chunks are sent there again. */
  chunks: MessageSender<ChunkMessage>;
  /** The finalize queue: a job whose chunks are all recorded is asked to finalize again. */
  finalize: MessageSender<FinalizeMessage>;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Seconds without progress after which a job counts as stalled. */
  stalledAfterSeconds: number;
  /** Redrives of a stalled job before its unfinished chunks are abandoned (their lines written as errors). */
  maxRedrives: number;
  /** A fresh id for the part files of an abandoned chunk. */
  newAttemptId: () => string;
  /** Most active jobs looked at per run. Default 500. */
  limit?: number;
}
