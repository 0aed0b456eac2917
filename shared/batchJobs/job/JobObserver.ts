/** What a worker reports of a chunk it recorded. */
export interface ChunkReport {
  jobId: string;
  tenantId: string;
  /** Lines of the chunk (results and error lines). */
  lines: number;
  /** Time the chunk took, from receipt to recorded. */
  durationMs: number;
  /** What is left of the job once this chunk counts. */
  backlogLines: number;
  backlogChunks: number;
}

/** What finalize reports of a job it ended. */
export interface JobEndReport {
  jobId: string;
  tenantId: string;
  status: string;
  lines: number;
  /** From the job's creation to its end. */
  durationSeconds: number;
}

/** The observation port of batch jobs: per-job metrics live behind it. Must not throw. */
export interface JobObserver {
  onChunkDone?(report: ChunkReport): void;
  onJobEnded?(report: JobEndReport): void;
}
