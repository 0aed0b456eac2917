import { parseSimulatorArgs, SIMULATOR_USAGE } from './cliOptions';
import { SimulatorConfigError, maxItemsPerSecond } from './SimulatorConfig';
import { startSimulator } from './server';

/**
 * `npm run simulator`: starts the GPU simulator from flags and environment, prints where
 * it listens, and stops cleanly on Ctrl-C or SIGTERM.
 */
async function main(): Promise<void> {
  let options: ReturnType<typeof parseSimulatorArgs>;
  try {
    options = parseSimulatorArgs(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`${(error as Error).message}\n${SIMULATOR_USAGE}`);
    process.exit(2);
  }
  const { help, ...simulatorOptions } = options;
  if (help) {
    console.log(SIMULATOR_USAGE);
    return;
  }
  const simulator = await startSimulator(simulatorOptions);
  const config = simulator.config;
  console.log(`GPU simulator listening on ${simulator.url}`);
  console.log(`  OpenAI face:  ${simulator.url}/v1   Bedrock face: ${simulator.url}   control: ${simulator.url}/_sim/stats`);
  console.log(
    `  ${config.slots} slots x ${config.maxItemsPerPass} items, pass ${config.passMs} ms + ${config.itemMs} ms/item` +
      ` -> at most ${maxItemsPerSecond(config).toFixed(1)} items/s`,
  );
  console.log(
    `  Bedrock batch inference: S3 ${simulatorOptions.s3Endpoint ?? 'none (--s3-endpoint; jobs are refused)'}` +
      `, EventBridge ${simulatorOptions.eventsEndpoint ?? 'none (--events-endpoint; no events)'}`,
  );
  const stop = (signal: string): void => {
    console.log(`${signal}: stopping the GPU simulator`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof SimulatorConfigError ? `invalid option: ${error.message}` : error);
  process.exit(1);
});
