import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { takePackageLock } from '../../helpers/packageTemplate';
import { ROOT, runNode } from '../childProcess';
import { median, round } from '../stats';

/**
 * Item 5, cold start: what Lambda loads at init, side by side in one run, for three
 * configurations of every function:
 *
 * - `baseline`: the deployed artefact of an earlier commit (`BASELINE_REF`, main before this
 *   item's work, override with BENCH_COLD_BASELINE=<ref>): its tree (`git archive`) packaged with
 *   its own serverless.yml by `osls package`.
 * - `deployed`: this tree as `osls package` builds it (serverless.yml's `custom.esbuild` and
 *   `awsSdk` parameter, by default the runtime's AWS SDK).
 * - `alternative`: this tree with the other `awsSdk` setting (the SDK bundled, by default),
 *   built by esbuild with the packaged options and zipped the same way.
 *
 * Each function's zip size, and its init: a fresh node process requires the handler file
 * from the extracted zip with the function's deployed environment (from its
 * CloudFormation template, NODE_OPTIONS such as `--enable-source-maps` included), the
 * `awslambda` global the runtime provides, and NODE_PATH holding only `@aws-sdk` and
 * `@smithy` as the runtime's /var/runtime/node_modules does (a bundle needing anything
 * else fails). The figure is the CPU time (user + system) of that require — module
 * evaluation, SDK clients and schemas built at module scope, source-map parsing — which a
 * shared machine's load disturbs far less than wall time (the wall time is kept too).
 * Configurations take turns within each round (rotated), and the median of the rounds is kept.
 */

/** The commit whose packaged functions are the baseline: main before the cold-start work of issue 16. */
export const BASELINE_REF = '79fbc48';

/** The three configurations' ids. */
export type ColdStartConfiguration = 'baseline' | 'deployed' | 'alternative';

/** One configuration's figures for one function. */
export interface ConfigurationFigures {
  zipBytes: number;
  /** The handler file (minified JavaScript) as unzipped. */
  bundleBytes: number;
  /** Median CPU time of requiring the handler in a fresh process, ms; null when it failed. */
  initMs: number | null;
  /** Median wall time of the same require, ms. */
  initWallMs: number | null;
}

/** One function's figures. */
export interface FunctionColdStart {
  name: string;
  handler: string;
  /** The deployed configuration's zip and handler file (kept at the top for the goals and the chart). */
  zipBytes: number;
  bundleBytes: number;
  configurations: Partial<Record<ColdStartConfiguration, ConfigurationFigures>>;
  /** deployed / baseline init (CPU), median of the per-round ratios. */
  importRatio: number | null;
  error?: string;
}

/** What the largest deployed bundle is made of: its bytes by npm package (platform code as one entry). */
export interface BundleComposition {
  function: string;
  bytes: number;
  byPackage: Array<{ name: string; kib: number }>;
}

/** Item 5's result. */
export interface ColdStartResult {
  rounds: number;
  baselineRef: string;
  /** What each configuration is, in words. */
  labels: Record<ColdStartConfiguration, string>;
  packageSeconds: number;
  functions: FunctionColdStart[];
  composition?: BundleComposition;
  largestZipBytes: number;
  largestBundleBytes: number;
  worstImportRatio: number | null;
}

const exec = promisify(execFile);
const CONFIGURATIONS: ColdStartConfiguration[] = ['baseline', 'deployed', 'alternative'];

/** Requires the handler file in a fresh node as the Lambda runtime would, and prints its CPU and wall time. */
const PROBE = [
  'globalThis.awslambda = { streamifyResponse: (handler) => handler, HttpResponseStream: { from: (stream) => stream } };',
  'const cpu = process.cpuUsage();',
  'const started = performance.now();',
  'const loaded = require(process.argv[1]);',
  'const wallMs = performance.now() - started;',
  'const used = process.cpuUsage(cpu);',
  "if (typeof loaded.handler !== 'function') throw new Error('no handler export');",
  "process.stdout.write(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, wallMs }) + '\\n');",
].join('\n');

interface CfFunction {
  Properties: { Handler: string; FunctionName?: string; Environment?: { Variables?: Record<string, unknown> } };
}

interface PackageState {
  service: {
    custom?: { awsSdk?: string; esbuild?: Record<string, unknown> };
    functions: Record<string, { handler: string; package?: { artifact?: string } }>;
  };
}

/** A packaged service: its functions, their zips and their deployed environments. */
interface Packaged {
  dir: string;
  state: PackageState;
  cfFunctions: CfFunction[];
}

/** The deployed environment of a function; intrinsics (Ref, GetAtt) become placeholder values. */
function environmentOf(fn: CfFunction | undefined): Record<string, string> {
  const variables = fn?.Properties.Environment?.Variables ?? {};
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    env[name] =
      typeof value === 'string'
        ? value
        : name.endsWith('_URL')
          ? `https://sqs.us-east-1.amazonaws.com/000000000000/${name.toLowerCase()}`
          : `placeholder-${name.toLowerCase()}`;
  }
  return env;
}

function cfFunctionOf(packaged: Packaged, name: string, handler: string): CfFunction | undefined {
  return (
    packaged.cfFunctions.find((resource) => resource.Properties.FunctionName?.endsWith(`-${name}`)) ??
    packaged.cfFunctions.find((resource) => resource.Properties.Handler === handler)
  );
}

/**
 * `osls package --stage bench` of the service in `serviceDir` into `packageDir`; in this
 * checkout it takes the package lock the template tests take (osls stages its zips in the
 * service directory, so two packages there at once would mix them).
 */
async function oslsPackage(serviceDir: string, packageDir: string, workFolder: string): Promise<Packaged> {
  const release = serviceDir === ROOT ? await takePackageLock() : () => {};
  try {
    await runOsls(serviceDir, packageDir, workFolder);
  } finally {
    release();
  }
  const state = JSON.parse(await readFile(join(packageDir, 'serverless-state.json'), 'utf8')) as PackageState;
  const template = JSON.parse(await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, { Type: string } & CfFunction>;
  };
  const cfFunctions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
  return { dir: packageDir, state, cfFunctions };
}

async function runOsls(serviceDir: string, packageDir: string, workFolder: string): Promise<void> {
  await exec(
    process.execPath,
    [require.resolve('osls/bin/serverless.js', { paths: [ROOT] }), 'package', '--stage', 'bench', '--package', packageDir],
    {
      cwd: serviceDir,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_REGION: 'us-east-1',
        ESBUILD_WORK_FOLDER: workFolder,
      },
    },
  );
}

/** The baseline commit's tree, extracted with `git archive`, with this checkout's node_modules beside it. */
async function extractBaseline(ref: string, into: string): Promise<void> {
  if (!/^[\w./-]+$/.test(ref)) throw new Error(`not a git ref: ${ref}`);
  await mkdir(into, { recursive: true });
  await exec('sh', ['-c', `git archive --format=tar "${ref}" | tar -x -C "${into}"`], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  await symlink(join(ROOT, 'node_modules'), join(into, 'node_modules'), 'dir');
}

/** The esbuild options serverless-esbuild used for the package (its resolved `custom.esbuild`), for `awsSdk`. */
function buildOptionsOf(state: PackageState, awsSdk: string): import('esbuild').BuildOptions {
  const custom = state.service.custom?.esbuild ?? {};
  const { pluginsFor } = require(join(ROOT, 'scripts', 'osls', 'esbuildPlugins.js')) as {
    pluginsFor: (setting: string) => import('esbuild').Plugin[];
  };
  return {
    bundle: custom.bundle !== false,
    minify: custom.minify === true,
    sourcemap: custom.sourcemap === true,
    target: String(custom.target ?? 'node22'),
    platform: 'node',
    format: 'cjs',
    keepNames: custom.keepNames === true,
    plugins: pluginsFor(awsSdk),
    logLevel: 'silent',
  };
}

/**
 * Builds one handler with `options` over the deployed zip's files in `dir` (the other
 * files the package includes stay), and zips it as the package would.
 */
async function buildAlternative(
  handler: string,
  options: import('esbuild').BuildOptions,
  deployedZip: string,
  dir: string,
  zip: string,
): Promise<void> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const moduleFile = `${handler.slice(0, handler.lastIndexOf('.'))}`;
  await exec('unzip', ['-o', '-q', deployedZip, '-d', dir]);
  await rm(join(dir, `${moduleFile}.js.map`), { force: true });
  await esbuild.build({
    ...options,
    entryPoints: [join(ROOT, `${moduleFile}.ts`)],
    outfile: join(dir, `${moduleFile}.js`),
    absWorkingDir: ROOT,
  });
  await exec('zip', ['-q', '-r', '-X', zip, '.'], { cwd: dir });
}

/** The line of a failed child's output that names the error. */
function errorLine(error: unknown): string {
  const lines = (error as Error).message.split('\n');
  return (lines.find((line) => /^\w*Error\b|^Error:/.test(line.trim())) ?? lines[0] ?? '').trim().slice(0, 300);
}

/** The largest deployed bundle by package, from esbuild's metafile with the packaged options. */
async function compositionOf(name: string, handler: string, options: import('esbuild').BuildOptions): Promise<BundleComposition> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const entry = join(ROOT, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
  const built = await esbuild.build({ ...options, entryPoints: [entry], write: false, metafile: true, absWorkingDir: ROOT });
  const output =
    Object.values(built.metafile.outputs).find((out) => out.entryPoint !== undefined) ?? Object.values(built.metafile.outputs)[0]!;
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? '(platform code)';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
  }
  return {
    function: name,
    bytes: output.bytes,
    byPackage: [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([pkg, bytes]) => ({ name: pkg, kib: round(bytes / 1024, 1) })),
  };
}

async function initOf(file: string, env: Record<string, string>, nodePath: string): Promise<{ cpuMs: number; wallMs: number }> {
  const output = await runNode(['-e', PROBE, file], {
    env: {
      NODE_OPTIONS: '',
      ...env,
      NODE_PATH: nodePath,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
    },
    cwd: tmpdir(),
    timeoutMs: 60_000,
  });
  return JSON.parse(output.trim().split('\n').pop()!) as { cpuMs: number; wallMs: number };
}

interface Target {
  figures: FunctionColdStart;
  runs: Partial<Record<ColdStartConfiguration, { file: string; env: Record<string, string>; cpu: number[]; wall: number[] }>>;
}

/**
 * Runs item 5: packages this tree and the baseline commit (at once), builds the alternative
 * SDK setting, then times every function's init in each (or those named in `only`).
 */
export async function runColdStart(rounds: number, log: (line: string) => void, only?: string[]): Promise<ColdStartResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cold-'));
  const baselineRef = process.env.BENCH_COLD_BASELINE || BASELINE_REF;
  try {
    // The runtime's SDK: only @aws-sdk and @smithy on NODE_PATH, as /var/runtime/node_modules.
    const runtimeModules = join(dir, 'runtime', 'node_modules');
    await mkdir(runtimeModules, { recursive: true });
    for (const scope of ['@aws-sdk', '@smithy']) await symlink(join(ROOT, 'node_modules', scope), join(runtimeModules, scope), 'dir');

    const started = Date.now();
    const baselineTree = join(dir, 'baseline-tree');
    const [deployed, baseline] = await Promise.all([
      oslsPackage(ROOT, join(dir, 'deployed'), join(dir, 'esbuild-deployed')),
      extractBaseline(baselineRef, baselineTree).then(() =>
        oslsPackage(baselineTree, join(dir, 'baseline'), join(dir, 'esbuild-baseline')),
      ),
    ]);
    const packageSeconds = (Date.now() - started) / 1000;
    log(`  item 5: osls package of this tree and of ${baselineRef} in ${packageSeconds.toFixed(1)} s`);
    const deployedSdk = deployed.state.service.custom?.awsSdk ?? 'bundled';
    const alternativeSdk = deployedSdk === 'runtime' ? 'bundled' : 'runtime';
    const alternativeOptions = buildOptionsOf(deployed.state, alternativeSdk);
    const labels: Record<ColdStartConfiguration, string> = {
      baseline: `${baselineRef} as packaged`,
      deployed: `this tree as packaged (awsSdk=${deployedSdk})`,
      alternative: `this tree, awsSdk=${alternativeSdk}`,
    };

    const targets: Target[] = [];
    for (const [name, fn] of Object.entries(deployed.state.service.functions)) {
      if (only && !only.includes(name)) continue;
      const figures: FunctionColdStart = { name, handler: fn.handler, zipBytes: 0, bundleBytes: 0, configurations: {}, importRatio: null };
      const target: Target = { figures, runs: {} };
      targets.push(target);
      const moduleFile = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`;
      for (const configuration of CONFIGURATIONS) {
        try {
          const extracted = join(dir, 'extracted', configuration, name);
          await mkdir(extracted, { recursive: true });
          let zip: string;
          let env: Record<string, string>;
          if (configuration === 'alternative') {
            zip = join(dir, 'alternative', `${name}.zip`);
            await mkdir(join(dir, 'alternative', 'build', name), { recursive: true });
            const deployedZip = join(deployed.dir, basename(fn.package?.artifact ?? `${name}.zip`));
            await buildAlternative(fn.handler, alternativeOptions, deployedZip, join(dir, 'alternative', 'build', name), zip);
            env = environmentOf(cfFunctionOf(deployed, name, fn.handler));
          } else {
            const packaged = configuration === 'baseline' ? baseline : deployed;
            const own = packaged.state.service.functions[name];
            if (!own) throw new Error(`no function ${name} in ${labels[configuration]}`);
            zip = join(packaged.dir, basename(own.package?.artifact ?? `${name}.zip`));
            env = environmentOf(cfFunctionOf(packaged, name, own.handler));
          }
          await exec('unzip', ['-o', '-q', zip, '-d', extracted]);
          figures.configurations[configuration] = {
            zipBytes: (await stat(zip)).size,
            bundleBytes: (await stat(join(extracted, moduleFile))).size,
            initMs: null,
            initWallMs: null,
          };
          target.runs[configuration] = { file: join(extracted, moduleFile), env, cpu: [], wall: [] };
        } catch (error) {
          figures.error = `${configuration}: ${errorLine(error)}`;
        }
      }
      figures.zipBytes = figures.configurations.deployed?.zipBytes ?? 0;
      figures.bundleBytes = figures.configurations.deployed?.bundleBytes ?? 0;
    }

    for (let r = 0; r < rounds; r++) {
      for (const target of targets) {
        // Rotate which configuration goes first, so none always meets a warmer file cache.
        const order = CONFIGURATIONS.map((_, i) => CONFIGURATIONS[(i + r) % CONFIGURATIONS.length]!);
        for (const configuration of order) {
          const run = target.runs[configuration];
          if (!run) continue;
          try {
            const { cpuMs, wallMs } = await initOf(run.file, run.env, runtimeModules);
            run.cpu.push(cpuMs);
            run.wall.push(wallMs);
          } catch (error) {
            target.figures.error = `${configuration}: ${errorLine(error)}`;
            delete target.runs[configuration];
          }
        }
      }
      log(`  item 5: init round ${r + 1}/${rounds} done`);
    }

    for (const { figures, runs } of targets) {
      for (const configuration of CONFIGURATIONS) {
        const run = runs[configuration];
        const own = figures.configurations[configuration];
        if (!run || !own || run.cpu.length === 0) continue;
        own.initMs = round(median(run.cpu), 1);
        own.initWallMs = round(median(run.wall), 1);
      }
      const now = runs.deployed?.cpu ?? [];
      const before = runs.baseline?.cpu ?? [];
      if (now.length > 0 && now.length === before.length) figures.importRatio = round(median(now.map((ms, i) => ms / before[i]!)), 3);
    }

    const functions = targets.map((target) => target.figures);
    const ratios = functions.flatMap((f) => (f.importRatio === null ? [] : [f.importRatio]));
    const largest = [...functions].sort((a, b) => b.zipBytes - a.zipBytes)[0];
    const composition = largest
      ? await compositionOf(largest.name, largest.handler, buildOptionsOf(deployed.state, deployedSdk)).catch(() => undefined)
      : undefined;
    return {
      ...(composition ? { composition } : {}),
      rounds,
      baselineRef,
      labels,
      packageSeconds: round(packageSeconds, 1),
      functions,
      largestZipBytes: Math.max(0, ...functions.map((f) => f.zipBytes)),
      largestBundleBytes: Math.max(0, ...functions.map((f) => f.bundleBytes)),
      worstImportRatio: ratios.length > 0 ? Math.max(...ratios) : null,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
