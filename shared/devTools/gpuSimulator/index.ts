/**
 * The GPU simulator: an OpenAI-compatible and Bedrock-Runtime-compatible server whose
 * latency follows a GPU's (fixed cost per forward pass, cost per item, a few batch
 * slots, continuous batching), with deterministic outputs and fault knobs. Start it with
 * {@link startSimulator} (tests, the local platform) or `npm run simulator` (CLI).
 */
export { startSimulator, SIMULATOR_HOST } from './server';
export type { RunningSimulator, SimulatorOptions } from './server';
export {
  DEFAULT_SIMULATOR_CONFIG,
  DEFAULT_SIMULATOR_PORT,
  FaceFaultsSchema,
  SimulatorConfigError,
  SimulatorConfigPatchSchema,
  SimulatorConfigSchema,
  applyConfigPatch,
  maxItemsPerSecond,
} from './SimulatorConfig';
export type { Face, FaceFaults, SimulatorConfig, SimulatorConfigPatch } from './SimulatorConfig';
export type { FaceStats, RouteCounts, SimulatorStatsSnapshot } from './SimulatorStats';
export { GpuScheduler, SubmissionCancelledError } from './GpuScheduler';
export type { GpuSchedulerOptions, PassRecord, SchedulerSettings } from './GpuScheduler';
export { GpuSimulator } from './GpuSimulator';
export type { Generation, GenerationOutcome, GpuWork } from './GpuSimulator';
export { planChat, splitIntoPieces } from './chatPlan';
export type { ChatPiece, ChatPlan, ChatPlanRequest, ReasoningEffort, ToolChoice, ToolSpec } from './chatPlan';
export { valueForSchema } from './schemaValues';
export { embeddingFor, fromBase64Float32, generateReply, toBase64Float32 } from './outputs';
