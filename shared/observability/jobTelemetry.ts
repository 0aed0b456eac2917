import type { ChunkReport, JobEndReport, JobObserver } from '../batchJobs/job/JobObserver';
import { MetricUnit, publishMetrics, type MetricDimensions, type MetricValue } from './metrics';

/** The names of the batch-job metrics, in the platform's namespace. */
export const JOB_METRICS = {
  /** Lines recorded by workers (chunks done). */
  linesProcessed: 'LinesProcessed',
  /** Lines per second of each chunk, from its receipt to its record. */
  linesPerSecond: 'LinesPerSecond',
  /** Lines and chunks of the job still to do, after each chunk. */
  backlogLines: 'JobBacklogLines',
  backlogChunks: 'JobBacklogChunks',
  /** Jobs ended by finalize (dimension status: completed, failed, cancelled, expired). */
  jobsFinished: 'JobsFinished',
  /** Lines per second of a whole job, creation to end, and its duration (s). */
  jobLinesPerSecond: 'JobLinesPerSecond',
  jobDuration: 'JobDuration',
} as const;

type Publish = (dimensions: MetricDimensions, values: MetricValue[], metadata?: Record<string, string | number | undefined>) => void;

/**
 * The batch jobs' {@link JobObserver} as EMF metrics. The job id and the tenant go in as
 * metadata (searchable in Logs Insights), never as dimensions: one metric per job or per
 * tenant would grow without bound.
 */
export function createJobTelemetry(publish: Publish = publishMetrics): JobObserver {
  return {
    onChunkDone(report: ChunkReport): void {
      const seconds = Math.max(report.durationMs, 1) / 1000;
      publish(
        {},
        [
          { name: JOB_METRICS.linesProcessed, value: report.lines },
          { name: JOB_METRICS.linesPerSecond, value: report.lines / seconds, unit: MetricUnit.CountPerSecond },
          { name: JOB_METRICS.backlogLines, value: report.backlogLines },
          { name: JOB_METRICS.backlogChunks, value: report.backlogChunks },
        ],
        { jobId: report.jobId, tenant: report.tenantId },
      );
    },
    onJobEnded(report: JobEndReport): void {
      publish(
        { status: report.status },
        [
          { name: JOB_METRICS.jobsFinished, value: 1 },
          { name: JOB_METRICS.jobDuration, value: report.durationSeconds, unit: MetricUnit.Seconds },
          {
            name: JOB_METRICS.jobLinesPerSecond,
            value: report.lines / Math.max(report.durationSeconds, 1),
            unit: MetricUnit.CountPerSecond,
          },
        ],
        { jobId: report.jobId, tenant: report.tenantId },
      );
    },
  };
}

/** The default job observer: metrics through {@link publishMetrics}. */
export const jobTelemetry: JobObserver = createJobTelemetry();
