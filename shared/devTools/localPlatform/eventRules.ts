import { consoleLogger, type LocalLogger } from './logger';
import { invokeLocalFunction, type LocalFunction } from './localFunction';
import type { RecordedEvent } from './eventBridge';
import type { ServerlessConfig } from './serverlessConfig';

/** One `eventBridge` event of a function: its pattern, on its bus. */
export interface LocalEventRule {
  functionKey: string;
  /** The bus name (`default` unless the event names `eventBus`). */
  eventBus: string;
  pattern: Record<string, unknown>;
}

/** The `eventBridge: {pattern}` events of serverless.yml's functions. */
export function eventRulesFrom(config: ServerlessConfig): LocalEventRule[] {
  const rules: LocalEventRule[] = [];
  for (const fn of config.functions) {
    for (const event of fn.events) {
      if (event.type !== 'other' || event.name !== 'eventBridge') continue;
      const definition = (event.definition ?? {}) as { pattern?: Record<string, unknown>; eventBus?: unknown };
      if (!definition.pattern) continue;
      const bus = typeof definition.eventBus === 'string' ? definition.eventBus.replace(/^arn:.*:event-bus\//, '') : 'default';
      rules.push({ functionKey: fn.name, eventBus: bus, pattern: definition.pattern });
    }
  }
  return rules;
}

/**
 * Whether an event matches a pattern as EventBridge matches the common cases: every key of
 * the pattern must be in the event; an array lists the values allowed, an object matches
 * the nested object the same way. (Content filters — prefix, numeric, exists — are not
 * emulated: such a pattern matches nothing.)
 */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern))
    return pattern.some((allowed) => typeof allowed !== 'object' && (Array.isArray(value) ? value.includes(allowed) : value === allowed));
  if (pattern === null || typeof pattern !== 'object') return false;
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern).every(([key, sub]) => matchesPattern((value as Record<string, unknown>)[key], sub));
}

/**
 * Delivers each event put on the local EventBridge to the functions whose rule matches
 * it, asynchronously as EventBridge does (a failure is logged; Lambda's retries are not
 * emulated).
 */
export function eventRouter(
  rules: readonly LocalEventRule[],
  functionFor: (key: string) => LocalFunction,
  logger: LocalLogger = consoleLogger,
): (event: RecordedEvent) => void {
  return (event) => {
    const { eventBusName, ...delivered } = event;
    for (const rule of rules) {
      if (rule.eventBus !== eventBusName || !matchesPattern(delivered, rule.pattern)) continue;
      const fn = functionFor(rule.functionKey);
      void invokeLocalFunction(fn, delivered).catch((error: unknown) =>
        logger.error(`[eventBridge ${rule.functionKey}] ${fn.functionName} failed on ${event['detail-type']}`, error),
      );
    }
  };
}
