export * from './types';
export * from './runChunk';
export * from './finalizeJob';
export * from './expireJobs';
export * from './outputLines';
export * from './stitchParts';
export * from './settleUnplannedJob';
export * from './publishIngestErrors';
