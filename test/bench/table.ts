import type { ColdStartConfiguration, FunctionColdStart } from './items/coldStart';
import type { SuiteResults } from './results';
import { percent } from './stats';

/** Renders rows as an aligned plain-text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** The tables `npm run bench` prints: the figures of each item, then the goals. */
export function formatReport(results: SuiteResults): string {
  const out: string[] = [];
  const {
    utilisation,
    throttling,
    overhead,
    ingest,
    coldStart,
    endToEnd,
    streaming,
    fleetDay,
    largeFiles,
    routeCost,
    fairness,
    fleetBudget,
  } = results.items;
  if (utilisation) {
    out.push(
      `Item 1: utilisation (${utilisation.workload.requests} requests, ${utilisation.workload.callers} callers, median of ${utilisation.workload.rounds} rounds)\n  embeddings best possible ${utilisation.simulator.maxItemsPerSecond} items/s = ${utilisation.simulator.formula}${
        utilisation.chatSimulator
          ? `\n  chat best possible ${utilisation.chatSimulator.maxRequestsPerSecond} requests/s = ${utilisation.chatSimulator.formula}`
          : ''
      }`,
    );
    const rows = (['embeddings', 'chat'] as const).flatMap((kind) =>
      utilisation.kinds[kind].contenders.map((c) => [
        kind,
        c.name,
        c.median ? `${c.median.itemsPerSecond}` : 'skipped',
        percent(c.median?.fractionOfBest),
        c.median ? `${c.median.p50Ms}` : '',
        c.median ? `${c.median.p99Ms}` : '',
        c.median ? `${c.median.meanBatch}` : '',
        percent(c.median?.simulatorBusy),
        c.median ? `${c.median.failed}` : '',
        c.skipped ?? '',
      ]),
    );
    out.push(formatTable(['kind', 'client', 'items/s', 'of best', 'p50 ms', 'p99 ms', 'batch', 'sim busy', 'failed', 'note'], rows));
    out.push(
      'batch: items per forward pass (embeddings), sequences decoding per step (chat); sim busy: items delivered against the ceiling',
    );
  }
  if (throttling) {
    out.push(
      `\nItem 2: throttling (${throttling.options.tokensPerMinute} tokens/min on the Bedrock face, ${throttling.requests} requests of ~${throttling.tokensPerRequest} tokens offered at once)`,
    );
    out.push(
      formatTable(
        ['window', 'of limit used', 'throttles answered', 'reaching a caller', 'succeeded', 'failed', 'not attempted', 'settled after'],
        [
          [
            `[${throttling.options.windowFromS}, ${throttling.options.windowToS}) s${throttling.steadyState ? '' : ' (first window)'}`,
            `${percent(throttling.fractionOfLimitUsed)} of ${throttling.budgetTokens}`,
            `${throttling.throttlesAnswered}`,
            `${throttling.throttlesReachingCaller}`,
            `${throttling.outcomes.succeeded}`,
            `${throttling.outcomes.failed}`,
            `${throttling.outcomes.notAttempted}`,
            throttling.cutAtS !== null
              ? `cut at ${throttling.cutAtS} s, ${throttling.waitingAtCut} waiting`
              : `${throttling.secondsToSettle} s`,
          ],
        ],
      ),
    );
  }
  if (overhead) {
    out.push(
      `\nItem 3: CPU per request (µs, this process only; simulator answering at once; ${overhead.options.lines} lines, median of ${overhead.options.rounds} rounds)`,
    );
    const stages = overhead.kinds.chat.stages.map((stage) => stage.stage);
    out.push(
      formatTable(
        ['stage', 'chat µs', 'chat ×bare', 'embeddings µs', 'embeddings ×bare'],
        stages.map((stage) => {
          const chat = overhead.kinds.chat.stages.find((s) => s.stage === stage)!;
          const embeddings = overhead.kinds.embeddings.stages.find((s) => s.stage === stage)!;
          return [stage, `${chat.microsPerRequest}`, `${chat.ratioToBare}`, `${embeddings.microsPerRequest}`, `${embeddings.ratioToBare}`];
        }),
      ),
    );
    if (overhead.callCost) {
      out.push(
        `CPU per chat call: core + provider ${overhead.callCost.coreMicrosPerRequest} µs against a bare node:http keep-alive POST ${overhead.callCost.bareNodeHttpMicrosPerRequest} µs: ×${overhead.callCost.ratio} (rounds ${overhead.callCost.rounds.map((r) => `×${r}`).join(', ')})`,
      );
    }
  }
  if (ingest) {
    out.push(`\nItem 4: ingest as files grow (median of ${ingest.rounds} rounds)`);
    out.push(
      formatTable(
        ['file MiB', 'line bytes', 'lines', 'ingest MiB/s', 'plain read MiB/s', 'ratio', 'peak RSS MiB', 'growth MiB'],
        [...ingest.sizes, ...ingest.extra].map((size) => [
          `${size.fileMiB}`,
          `${size.lineBytes}`,
          `${size.lines}`,
          `${size.ingestMibPerSecond}`,
          `${size.plainReadMibPerSecond}`,
          `${size.ratioToPlainRead}`,
          `${size.peakRssMiB}`,
          `${size.growthMiB}`,
        ]),
      ),
    );
  }
  if (endToEnd) {
    const calls = endToEnd.awsCalls;
    out.push(`\nItem 4: AWS calls per request of a whole ${endToEnd.lines}-line job (local platform, counted at the SDK)`);
    out.push(
      formatTable(
        [
          'SQS',
          'DynamoDB writes (units)',
          'DynamoDB reads',
          'S3 PUT-class',
          'S3 GET-class',
          'EventBridge',
          'Lambda invocations',
          'USD per million requests',
        ],
        [
          [
            `${calls.perRequest.sqsRequests}`,
            `${calls.perRequest.dynamoDbWrites} (${calls.perRequest.dynamoDbWriteUnits})`,
            `${calls.perRequest.dynamoDbReads}`,
            `${calls.perRequest.s3PutClass}`,
            `${calls.perRequest.s3GetClass}`,
            `${calls.perRequest.eventBridgeEvents}`,
            `${calls.perRequest.lambdaInvocations}`,
            `$${calls.usdPerMillionRequests.total}`,
          ],
        ],
      ),
    );
  }
  if (coldStart) {
    const { labels } = coldStart;
    out.push(
      `\nItem 5: cold start (zip KiB; init = CPU ms of requiring the handler in a fresh node, median of ${coldStart.rounds} rounds; wall ms in brackets)`,
    );
    out.push(`base: ${labels.baseline}; deployed: ${labels.deployed}; alt: ${labels.alternative}`);
    const zipOf = (f: FunctionColdStart, c: ColdStartConfiguration) => {
      const figures = f.configurations[c];
      return figures ? (figures.zipBytes / 1024).toFixed(0) : '';
    };
    const initOf = (f: FunctionColdStart, c: ColdStartConfiguration) => {
      const figures = f.configurations[c];
      return figures?.initMs == null ? '' : `${figures.initMs} (${figures.initWallMs})`;
    };
    out.push(
      formatTable(
        ['function', 'zip base', 'zip deployed', 'zip alt', 'init base', 'init deployed', 'init alt', 'deployed/base', 'note'],
        coldStart.functions.map((f) => [
          f.name,
          zipOf(f, 'baseline'),
          zipOf(f, 'deployed'),
          zipOf(f, 'alternative'),
          initOf(f, 'baseline'),
          initOf(f, 'deployed'),
          initOf(f, 'alternative'),
          `${f.importRatio ?? ''}`,
          f.error ?? '',
        ]),
      ),
    );
    if (coldStart.composition) {
      out.push(
        `largest deployed bundle (${coldStart.composition.function}, ${(coldStart.composition.bytes / 1024).toFixed(0)} KiB) by package: ${coldStart.composition.byPackage.map((p) => `${p.name} ${p.kib}`).join(', ')} KiB`,
      );
    }
  }
  if (endToEnd) {
    out.push(`\nItem 6: end to end (${endToEnd.lines} lines = ${endToEnd.items} items through the local platform)`);
    out.push(
      formatTable(
        ['wall s', 'best possible s', 'of best', 'sim busy (embed / chat)', 'items/pass', 'seqs/step', 'batch'],
        [
          [
            `${endToEnd.wallSeconds}`,
            `${endToEnd.bestPossibleSeconds}`,
            percent(endToEnd.fractionOfBest),
            `${percent(endToEnd.simulator.busy.embeddings)} / ${percent(endToEnd.simulator.busy.chat)}`,
            `${endToEnd.simulator.meanItemsPerPass}`,
            `${endToEnd.simulator.meanDecodeBatch}`,
            `${endToEnd.batch.status} ${endToEnd.batch.request_counts.completed}/${endToEnd.batch.request_counts.total}`,
          ],
        ],
      ),
    );
    const phases = endToEnd.phases;
    if (phases) {
      out.push("where the time went (seconds; from the platform's log lines):");
      out.push(
        formatTable(
          ['ingest', 'queueing', 'processing', 'finalize', 'chunks', 'chunk s (mean)', 'chunks at once (mean)'],
          [
            [
              `${phases.seconds.ingest}`,
              `${phases.seconds.queueing}`,
              `${phases.seconds.processing}`,
              `${phases.seconds.finalize}`,
              `${phases.chunks.count}`,
              `${phases.chunks.meanSeconds}`,
              `${phases.chunks.meanInFlight}`,
            ],
          ],
        ),
      );
    }
  }
  if (streaming) {
    out.push(
      `\nItem 7: streamed chat, time to first token (simulator: steps of ${streaming.simulator.stepMs} ms and more, at most ${streaming.simulator.tokensPerSecond} tokens/s; ${streaming.options.requests} requests of up to ${streaming.options.maxTokens} tokens, one at a time, medians)`,
    );
    out.push(
      formatTable(
        ['face', 'first token ms', 'whole answer ms', 'first/whole', 'tokens', 'failed'],
        streaming.faces.map((face) => [
          face.face,
          `${face.firstTokenMs}`,
          `${face.totalMs}`,
          `${face.firstTokenShare}`,
          `${face.completionTokens}`,
          `${face.failed}`,
        ]),
      ),
    );
  }
  if (fleetDay) {
    const { pool } = fleetDay.options;
    out.push(
      `\nItem 8: a day of traffic through one GPU pool (${pool.instanceType}, ${pool.throughputPerInstance} requests/s an instance, ${pool.startupSeconds} s to start, $${pool.usdPerInstanceHour} an hour; pure simulation)`,
    );
    out.push(
      formatTable(
        ['fleet', 'GPU h', 'GPU $', 'Bedrock $', 'total $', 'to Bedrock', 'real time to Bedrock', 'real-time mean s', 'batch done after h'],
        fleetDay.fleets.map((fleet) => [
          fleet.fleet,
          `${fleet.gpuHours}`,
          `${fleet.gpuUsd}`,
          `${fleet.bedrockUsd}`,
          `${fleet.totalUsd}`,
          `${(fleet.overflowShare * 100).toFixed(1)}%`,
          `${(fleet.realTimeOverflowShare * 100).toFixed(1)}%`,
          `${fleet.realTimeMeanLatencySeconds}`,
          `${fleet.batchDoneAfterHours ?? '—'}`,
        ]),
      ),
    );
  }
  if (routeCost) {
    const { job, quota, callsInFlight } = routeCost.options;
    out.push(
      `\nItem 10: one job on three Bedrock routes (${job.lines} lines of ${job.bedrockModel}, ${job.inputTokensPerLine} tokens in and ${job.outputTokensPerLine} out a line; quota ${quota.tokensPerMinute} tokens/min, ${callsInFlight} calls in flight; priced with the price table; time from a stated model, pure simulation)`,
    );
    out.push(
      formatTable(
        ['route', '$/M in', '$/M out', 'cost $', 'of Standard', 'hours (model)', 'worst case h', 'bound by'],
        routeCost.routes.map((route) => [
          route.route,
          `${route.inputPerMillion}`,
          `${route.outputPerMillion}`,
          `${route.usd}`,
          `${(route.ofStandard * 100).toFixed(0)}%`,
          `${route.hours}`,
          `${route.worstCaseHours}`,
          route.boundBy,
        ]),
      ),
    );
  }
  if (largeFiles) {
    out.push('\nItem 9: files through the API, peak memory (Uploads API in 4 MiB parts + complete; streamed content read back)');
    out.push(
      formatTable(
        [
          'file MiB',
          'parts',
          'upload peak RSS MiB',
          'upload growth MiB',
          'upload s',
          'download peak RSS MiB',
          'download growth MiB',
          'download s',
        ],
        largeFiles.sizes.map((size) => [
          `${size.fileMiB}`,
          `${size.parts}`,
          `${size.upload.peakRssMiB}`,
          `${size.upload.growthMiB}`,
          `${size.upload.seconds}`,
          `${size.download.peakRssMiB}`,
          `${size.download.growthMiB}`,
          `${size.download.seconds}`,
        ]),
      ),
    );
  }
  for (const [item, error] of Object.entries(results.errors)) out.push(`\n${item} FAILED: ${error}`);
  out.push('\nGoals');
  out.push(
    formatTable(
      ['item', 'met', 'goal', 'measured'],
      results.goals.map((goal) => [goal.item, goal.met === null ? 'n/a' : goal.met ? 'yes' : 'NO', goal.goal, goal.measured]),
    ),
  );
  if (fairness) {
    const { gpu } = fairness.options;
    const ms = (value: number | undefined) => (value === undefined ? '—' : `${value}`);
    out.push(
      `\nItem 11: fair shares and real-time priority on one GPU pool (virtual clock: the real batching core against the simulator's continuous batching, ${gpu.maxNumSeqs} sequences, steps of ${gpu.stepMs} ms + ${gpu.decodeMsPerSeq} ms a sequence + ${gpu.prefillMsPerToken} ms a prompt token, requests of ${gpu.promptTokens} + ${gpu.completionTokens} tokens; ceiling ${fairness.ceilingPerSecond} requests/s; B's fair-share bound ${fairness.bJobBoundMs} ms)`,
    );
    out.push(
      formatTable(
        [
          'scenario',
          'B job ms',
          'B rt p50',
          'B rt p99',
          'A job ms',
          'A rt p50',
          'A rt p99',
          'A items/s',
          'left by B /s',
          'burst p50',
          'burst p99',
        ],
        fairness.scenarios.map((row) => [
          row.scenario,
          ms(row.bJobMs),
          ms(row.bRealtimeP50Ms),
          ms(row.bRealtimeP99Ms),
          ms(row.aJobMs),
          ms(row.aRealtimeP50Ms),
          ms(row.aRealtimeP99Ms),
          ms(row.aItemsPerSecond),
          ms(row.leftByBPerSecond),
          ms(row.burstP50Ms),
          ms(row.burstP99Ms),
        ]),
      ),
    );
  }
  if (fleetBudget) {
    out.push(
      `\nItem 12: one budget per backend, N worker containers against one GPU pool of ${fleetBudget.poolCapacity} calls (simulator best ${fleetBudget.bestItemsPerSecond} items/s; a gate answers 429 beyond the capacity)`,
    );
    out.push(
      formatTable(
        ['N', 'budget', 'items/s', 'of best', '429s', 'peak in flight', 'failed', 'lease writes/s', "B's share", "B's share, 2nd half"],
        fleetBudget.runs.map((run) => [
          String(run.containers),
          run.budget ? 'shared' : 'none',
          String(run.itemsPerSecond),
          percent(run.fractionOfBest),
          String(run.throttles),
          String(run.peakInFlight),
          String(run.failed),
          String(run.leaseWritesPerSecond),
          String(run.bShareWhileBoth),
          String(run.bShareSecondHalf),
        ]),
      ),
    );
  }
  return out.join('\n');
}
