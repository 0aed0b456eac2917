import type { BatchLimits } from '../../config/config';
import type { ChunkPlan } from '../job/Job';
import type { BatchRouteDecision, BatchTarget } from '../batchInference/batchRoutePolicy';
import { CHUNK_MAX_SKIP_LINES, ChunkPlanner, type PlannedLine } from './ChunkPlanner';

/** A line as the whole-job planner sees it: the chunk planner's view, plus the model of a valid line. */
export interface ScannedLine extends PlannedLine {
  /** The public model of a valid line. */
  model?: string;
  /** Whether batch inference can serve it (see `isBatchable`). */
  batchable?: boolean;
  /**
   * A blank entry stands for this many consecutive blank lines from `lineNumber` on (1 when
   * absent), so the lines kept number at most twice the non-blank ones, whatever the file holds.
   */
  count?: number;
}

/** What the planner needs to know of each model's batch route. */
export interface BatchRouting {
  /** The model's batch target, if it has one. */
  targetOf(model: string): BatchTarget | undefined;
  /** The policy's answer for `records` batchable lines of a model with that target. */
  decide(target: BatchTarget | undefined, records: number): BatchRouteDecision;
}

/** The plan of a job: its chunks, and how many lines each model sends to batch inference. */
export interface JobPlan {
  chunks: ChunkPlan[];
  /** Lines sent to batch inference, by public model id (absent: none). */
  batchLines: Record<string, number>;
}

/** A line's approximate size as a Bedrock record: the line, re-wrapped with its 11-character `recordId`. */
const RECORD_OVERHEAD_BYTES = 48;

/**
 * Plans a job's chunks once its lines are scanned. Each model whose batchable lines the
 * policy sends to batch inference has them packed into Bedrock batch chunks (one Bedrock
 * job each, {@link packBatchGroups}); every other valid line goes into on-demand chunks
 * as before (the {@link ChunkPlanner}), which list the batch lines in their `skipLines`.
 * A batch chunk lists every line of its range that is not its own in `skipLines` (or
 * `blankLines`), so any chunk's request lines are known from its plan alone. On-demand
 * chunks come first (indexes 0…), then the batch chunks.
 */
export function planJobChunks(
  lines: readonly ScannedLine[],
  limits: Pick<BatchLimits, 'chunkMaxLines' | 'chunkMaxBytes'> & { chunkMaxSkipLines?: number },
  routing: BatchRouting,
): JobPlan {
  const maxSkip = limits.chunkMaxSkipLines ?? CHUNK_MAX_SKIP_LINES;
  const byModel = new Map<string, number[]>();
  lines.forEach((line, position) => {
    if (line.status !== 'valid' || !line.batchable || line.model === undefined) return;
    const positions = byModel.get(line.model) ?? [];
    positions.push(position);
    byModel.set(line.model, positions);
  });
  const inBatch = new Set<number>();
  const groups: { target: BatchTarget; positions: number[] }[] = [];
  const batchLines: Record<string, number> = {};
  for (const [model, positions] of byModel) {
    const target = routing.targetOf(model);
    if (!routing.decide(target, positions.length).use || !target) continue;
    for (const group of packBatchGroups(lines, positions, target, maxSkip)) {
      groups.push({ target, positions: group });
      for (const position of group) inBatch.add(position);
      batchLines[model] = (batchLines[model] ?? 0) + group.length;
    }
  }
  const planner = new ChunkPlanner(limits);
  lines.forEach((line, position) => {
    if (line.status === 'blank') {
      for (let n = 0; n < (line.count ?? 1); n += 1) planner.add({ ...line, lineNumber: line.lineNumber + n });
    } else planner.add(inBatch.has(position) ? { ...line, status: 'refused' } : line);
  });
  planner.finish();
  const chunks = [...planner.chunks];
  for (const group of groups) chunks.push(batchChunk(lines, group.positions, group.target, chunks.length));
  return { chunks, batchLines };
}

/**
 * Packs one model's batchable lines (positions in file order) into Bedrock jobs within the
 * route's quotas: at most `maxRecords` records and `min(maxFileBytes, maxJobBytes)` bytes
 * each (one input file per job), and at most `maxSkip` foreign lines inside a job's range.
 * The jobs are made about equal (a 60,000-line share is two jobs of 30,000, not 50,000 and
 * 10,000). A group that ends up below `minRecords`, and a line too large for any job, is
 * left out: those lines run on demand.
 */
export function packBatchGroups(
  lines: readonly ScannedLine[],
  positions: readonly number[],
  target: BatchTarget,
  maxSkip: number,
): number[][] {
  const { minRecords, maxRecords } = target.route;
  const maxBytes = Math.min(target.route.maxFileBytes, target.route.maxJobBytes);
  const size = (position: number) => lines[position]!.endByte - lines[position]!.startByte + 1 + RECORD_OVERHEAD_BYTES;
  const fitting = positions.filter((position) => size(position) <= maxBytes);
  const totalBytes = fitting.reduce((sum, position) => sum + size(position), 0);
  const jobs = Math.max(1, Math.ceil(fitting.length / maxRecords), Math.ceil(totalBytes / maxBytes));
  const perJob = Math.ceil(fitting.length / jobs);
  const groups: number[][] = [];
  let group: number[] = [];
  let bytes = 0;
  let foreign = 0;
  for (const position of fitting) {
    const last = group[group.length - 1];
    const between = last === undefined ? 0 : nonBlankBetween(lines, last, position);
    if (group.length > 0 && (group.length >= perJob || bytes + size(position) > maxBytes || foreign + between > maxSkip)) {
      groups.push(group);
      group = [];
      bytes = 0;
      foreign = 0;
    } else {
      foreign += between;
    }
    group.push(position);
    bytes += size(position);
  }
  if (group.length > 0) groups.push(group);
  return groups.filter((members) => members.length >= minRecords);
}

/** Non-blank lines strictly between two positions. */
function nonBlankBetween(lines: readonly ScannedLine[], from: number, to: number): number {
  let count = 0;
  for (let position = from + 1; position < to; position += 1) if (lines[position]!.status !== 'blank') count += 1;
  return count;
}

function batchChunk(lines: readonly ScannedLine[], positions: readonly number[], target: BatchTarget, index: number): ChunkPlan {
  const members = new Set(positions);
  const first = positions[0]!;
  const last = positions[positions.length - 1]!;
  const skipLines: number[] = [];
  const blankLines: number[] = [];
  for (let position = first + 1; position < last; position += 1) {
    if (members.has(position)) continue;
    const line = lines[position]!;
    if (line.status !== 'blank') skipLines.push(line.lineNumber);
    else for (let n = 0; n < (line.count ?? 1); n += 1) blankLines.push(line.lineNumber + n);
  }
  return {
    index,
    startByte: lines[first]!.startByte,
    endByte: lines[last]!.endByte,
    firstLine: lines[first]!.lineNumber,
    lineCount: lines[last]!.lineNumber - lines[first]!.lineNumber + 1,
    skipLines,
    ...(blankLines.length > 0 ? { blankLines } : {}),
    batch: { model: target.model, backendId: target.backendId, bedrockModel: target.bedrockModel },
  };
}
