import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScheduledEvent } from 'aws-lambda';
import { ServerlessConfigError } from './errors';
import { LOCAL_ACCOUNT_ID } from './lambdaContext';
import { consoleLogger, type LocalLogger } from './logger';
import { invokeLocalFunction, type LocalFunction } from './localFunction';
import type { ServerlessConfig } from './serverlessConfig';

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** The period of `rate(N unit)` in milliseconds; undefined for a `cron(…)` expression. */
export function rateIntervalMs(expression: string): number | undefined {
  if (expression.startsWith('cron(')) return undefined;
  const match = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression.trim());
  if (!match || Number(match[1]) < 1)
    throw new ServerlessConfigError(`${expression} is not a valid rate expression (rate(<positive number> minute[s]|hour[s]|day[s]))`);
  return Number(match[1]) * UNIT_MS[match[2]!.replace(/s$/, '')]!;
}

/** The event a scheduled EventBridge rule sends: `Scheduled Event` from `aws.events`. */
export function scheduledEvent(ruleArn: string, region: string, at = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    // EventBridge writes the scheduled time to the second, without milliseconds.
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [ruleArn],
    detail: {},
  };
}

/** One running rule: its function, its period and its ARN. */
export interface LocalSchedule {
  functionKey: string;
  expression: string;
  intervalMs: number;
  ruleArn: string;
}

/** Options of {@link startSchedules}. */
export interface SchedulesOptions {
  config: Pick<ServerlessConfig, 'functions' | 'region' | 'service' | 'stage'>;
  functionFor(key: string): LocalFunction;
  /** Replaces every rule's period (tests; `LOCAL_SCHEDULE_INTERVAL_MS`). */
  intervalMs?: number;
  logger?: LocalLogger;
}

/** The running rules of every `schedule` event. */
export interface Schedules {
  schedules: LocalSchedule[];
  /** Stops the timers and waits up to `graceMs` for invocations still running. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs each `schedule: rate(…)` function on its period, first one period after start as a
 * new rule does, with the scheduled event (or the rule's constant `input`). As with
 * EventBridge's asynchronous invocations, a run does not wait for the previous one, and a
 * failure is logged (Lambda's two asynchronous retries are not emulated). `cron(…)`
 * expressions, disabled rules and input transforms are reported and not run.
 */
export function startSchedules(options: SchedulesOptions): Schedules {
  const logger = options.logger ?? consoleLogger;
  const { config } = options;
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  const schedules: LocalSchedule[] = [];
  for (const fnConfig of config.functions) {
    let ruleIndex = 0;
    for (const event of fnConfig.events) {
      if (event.type !== 'schedule') continue;
      const fn = options.functionFor(fnConfig.name);
      for (const expression of event.expressions) {
        ruleIndex += 1;
        const period = rateIntervalMs(expression);
        const label = `[schedule ${fnConfig.name} ${expression}]`;
        if (period === undefined) {
          logger.info(`${label} cron expressions are not run locally; invoke the function by hand`);
          continue;
        }
        if (!event.enabled) continue;
        if (event.transforms.length)
          logger.info(`${label} ${event.transforms.join(' and ')} are not emulated; the function gets the whole scheduled event`);
        const ruleName = event.name ?? `${config.service}-${config.stage}-${capitalise(fnConfig.name)}EventsRuleSchedule${ruleIndex}`;
        const schedule: LocalSchedule = {
          functionKey: fnConfig.name,
          expression,
          intervalMs: options.intervalMs ?? period,
          ruleArn: `arn:aws:events:${config.region}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`,
        };
        schedules.push(schedule);
        const input =
          event.input === undefined ? undefined : typeof event.input === 'string' ? (JSON.parse(event.input) as unknown) : event.input;
        const fire = () => {
          const payload = input !== undefined ? input : scheduledEvent(schedule.ruleArn, config.region);
          const run = invokeLocalFunction(fn, payload).then(
            () => undefined,
            (error: unknown) => logger.error(`${label} ${fn.functionName} failed`, error),
          );
          running.add(run);
          void run.finally(() => running.delete(run));
        };
        timers.push(setInterval(fire, schedule.intervalMs));
      }
    }
  }
  return {
    schedules,
    stop: async (graceMs = 10_000) => {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await Promise.race([Promise.allSettled([...running]), sleep(graceMs, undefined, { ref: false })]);
    },
  };
}

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
