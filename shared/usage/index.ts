export type { UsageRecord, UsageSample, UsageStore } from './types';
export { UsageMeter, type UsageFlushPolicy } from './UsageMeter';
export { UsageObserver, allObservers } from './UsageObserver';
export { DynamoDbUsageStore } from '../adapters/aws/DynamoDbUsageStore';
export { daysBetween, usageDay, MAX_USAGE_DAYS } from './usageDays';
export { readUsageReport, UsageQuery, DEFAULT_USAGE_DAYS, type UsageReport, type UsageRow } from './usageReport';
