import { round } from '../stats';

/**
 * Where a job's time went, from the platform's own log lines (Powertools JSON, with their
 * ISO timestamps): `ingest done`, each `chunk done` (with its `durationMs`, so its start
 * is known) and `job finalized`, against the drop and the completion event the bench saw.
 * Phases are consecutive on the job's timeline; a negative queueing time means the first
 * chunk started before ingest had finished (chunks are sent while the file is read).
 */
export interface JobPhases {
  /** Seconds from the drop: ingest done, first chunk started, last chunk done, job finalized. */
  timeline: { ingestDone: number; firstChunkStarted: number; lastChunkDone: number; finalized: number; completionSeen: number };
  /** Seconds of each phase: drop → ingest done → first chunk started → last chunk done → completion event. */
  seconds: { ingest: number; queueing: number; processing: number; finalize: number };
  chunks: {
    count: number;
    meanSeconds: number;
    /** Chunks running at once on average over the processing phase (chunk seconds / processing seconds). */
    meanInFlight: number;
  };
}

interface LogLine {
  message?: string;
  timestamp?: string;
  jobId?: string;
  durationMs?: number;
}

/** The phases of job `jobId`, or undefined when its log lines are not all there (a log level above INFO). */
export function jobPhases(output: string, jobId: string, droppedAtMs: number, completionSeenAtMs: number): JobPhases | undefined {
  const lines: LogLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{') || !text.includes(jobId)) continue;
    try {
      const line = JSON.parse(text) as LogLine;
      if (line.jobId === jobId && line.timestamp) lines.push(line);
    } catch {
      // Not a log line of ours.
    }
  }
  const at = (line: LogLine) => Date.parse(line.timestamp!);
  const ingest = lines.find((line) => line.message === 'ingest done');
  const finalized = lines.find((line) => line.message === 'job finalized');
  const chunks = lines.filter((line) => line.message === 'chunk done' && typeof line.durationMs === 'number');
  if (!ingest || !finalized || chunks.length === 0) return undefined;
  const starts = chunks.map((line) => at(line) - line.durationMs!);
  const ends = chunks.map(at);
  const firstStart = Math.min(...starts);
  const lastEnd = Math.max(...ends);
  const chunkMs = chunks.reduce((sum, line) => sum + line.durationMs!, 0);
  const seconds = (from: number, to: number) => round((to - from) / 1000, 2);
  return {
    timeline: {
      ingestDone: seconds(droppedAtMs, at(ingest)),
      firstChunkStarted: seconds(droppedAtMs, firstStart),
      lastChunkDone: seconds(droppedAtMs, lastEnd),
      finalized: seconds(droppedAtMs, at(finalized)),
      completionSeen: seconds(droppedAtMs, completionSeenAtMs),
    },
    seconds: {
      ingest: seconds(droppedAtMs, at(ingest)),
      queueing: seconds(at(ingest), firstStart),
      processing: seconds(firstStart, lastEnd),
      finalize: seconds(lastEnd, completionSeenAtMs),
    },
    chunks: {
      count: chunks.length,
      meanSeconds: round(chunkMs / chunks.length / 1000, 2),
      meanInFlight: lastEnd > firstStart ? round(chunkMs / (lastEnd - firstStart), 2) : 0,
    },
  };
}
