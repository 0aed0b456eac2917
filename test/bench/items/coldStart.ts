import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, runNode } from '../childProcess';
import { median, round } from '../stats';

/**
 * Item 5, cold start: each function as `osls package` bundles it (serverless-esbuild,
 * minified, per function), its size, and the time to import its handler module — which
 * builds its SDK clients and configuration at module scope — in a fresh node process,
 * against the same handler compiled file by file (no bundling) and loaded with its
 * dependencies from node_modules. Both get the function's deployed environment (from the
 * CloudFormation template, `NODE_OPTIONS=--enable-source-maps` included); both variants
 * of a function run alternately, several rounds, and the median is kept.
 */

/** One function's figures. */
export interface FunctionColdStart {
  name: string;
  handler: string;
  zipBytes: number;
  /** The bundled handler file (minified JavaScript), without its source map. */
  bundleBytes: number;
  sourceMapBytes: number;
  bundledImportMs: number | null;
  unbundledImportMs: number | null;
  /** bundled / unbundled import time, median of the per-round ratios. */
  importRatio: number | null;
  error?: string;
}

/** What the largest bundle is made of: its bytes by npm package (platform code as one entry). */
export interface BundleComposition {
  function: string;
  bytes: number;
  byPackage: Array<{ name: string; kib: number }>;
}

/** Item 5's result. */
export interface ColdStartResult {
  rounds: number;
  packageSeconds: number;
  functions: FunctionColdStart[];
  composition?: BundleComposition;
  largestBundleBytes: number;
  worstImportRatio: number | null;
}

const exec = promisify(execFile);

/** Times `require(file)` in a fresh node: the handler module and everything it builds at load. */
const PROBE = [
  'const started = performance.now();',
  'const loaded = require(process.argv[1]);',
  'const ms = performance.now() - started;',
  "if (typeof loaded.handler !== 'function') throw new Error('no handler export');",
  "process.stdout.write(JSON.stringify({ ms }) + '\\n');",
].join('\n');

interface CfFunction {
  Properties: { Handler: string; FunctionName?: string; Environment?: { Variables?: Record<string, unknown> } };
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

async function sourcesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true });
  return entries.filter((entry) => entry.endsWith('.ts') && !entry.endsWith('.d.ts')).map((entry) => join(ROOT, dir, entry));
}

/** Compiles functions/ and shared/ file by file into `outdir` (CommonJS, source maps), with node_modules beside them. */
async function compileUnbundled(outdir: string): Promise<void> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const entryPoints = [...(await sourcesUnder('functions')), ...(await sourcesUnder('shared'))];
  await esbuild.build({
    entryPoints,
    outdir,
    outbase: ROOT,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'silent',
  });
  await symlink(join(ROOT, 'node_modules'), join(outdir, 'node_modules'), 'dir');
}

/**
 * The largest function's bundle by package, from esbuild's metafile with the options of
 * serverless.yml's `custom.esbuild` (bundle, minify, node22, cjs, keepNames).
 */
async function compositionOf(name: string, handler: string): Promise<BundleComposition> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const entry = join(ROOT, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
  const built = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    keepNames: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(built.metafile.outputs)[0]!;
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? '(platform code)';
    byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
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

async function importMs(file: string, env: Record<string, string>): Promise<number> {
  const output = await runNode(['-e', PROBE, file], {
    env: { ...env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' },
    cwd: tmpdir(),
    timeoutMs: 60_000,
  });
  return (JSON.parse(output.trim().split('\n').pop()!) as { ms: number }).ms;
}

/** Runs item 5: packages the service for stage `bench`, then times every function's import (or those named in `only`). */
export async function runColdStart(rounds: number, log: (line: string) => void, only?: string[]): Promise<ColdStartResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cold-'));
  try {
    const packageDir = join(dir, 'package');
    const started = Date.now();
    await exec(
      process.execPath,
      [require.resolve('osls/bin/serverless.js', { paths: [ROOT] }), 'package', '--stage', 'bench', '--package', packageDir],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' } },
    );
    const packageSeconds = (Date.now() - started) / 1000;
    log(`  item 5: osls package in ${packageSeconds.toFixed(1)} s`);
    const unbundled = join(dir, 'unbundled');
    await compileUnbundled(unbundled);

    const state = JSON.parse(await readFile(join(packageDir, 'serverless-state.json'), 'utf8')) as {
      service: { functions: Record<string, { handler: string; package?: { artifact?: string } }> };
    };
    const template = JSON.parse(await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: Record<string, { Type: string } & CfFunction>;
    };
    const cfFunctions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');

    const functions: FunctionColdStart[] = [];
    const samples = new Map<string, { bundled: number[]; unbundled: number[] }>();
    const targets: Array<{ figures: FunctionColdStart; bundledFile: string; unbundledFile: string; env: Record<string, string> }> = [];
    for (const [name, fn] of Object.entries(state.service.functions)) {
      if (only && !only.includes(name)) continue;
      const moduleFile = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`;
      const zip = join(packageDir, basename(fn.package?.artifact ?? `${name}.zip`));
      const extracted = join(dir, 'bundled', name);
      await mkdir(extracted, { recursive: true });
      const figures: FunctionColdStart = {
        name,
        handler: fn.handler,
        zipBytes: 0,
        bundleBytes: 0,
        sourceMapBytes: 0,
        bundledImportMs: null,
        unbundledImportMs: null,
        importRatio: null,
      };
      functions.push(figures);
      try {
        figures.zipBytes = (await stat(zip)).size;
        await exec('unzip', ['-o', '-q', zip, '-d', extracted]);
        figures.bundleBytes = (await stat(join(extracted, moduleFile))).size;
        figures.sourceMapBytes = await stat(join(extracted, `${moduleFile}.map`)).then(
          (s) => s.size,
          () => 0,
        );
        const cf =
          cfFunctions.find((resource) => resource.Properties.FunctionName?.endsWith(`-${name}`)) ??
          cfFunctions.find((resource) => resource.Properties.Handler === fn.handler);
        targets.push({
          figures,
          bundledFile: join(extracted, moduleFile),
          unbundledFile: join(unbundled, moduleFile),
          env: environmentOf(cf),
        });
        samples.set(name, { bundled: [], unbundled: [] });
      } catch (error) {
        figures.error = (error as Error).message.split('\n')[0];
      }
    }
    for (let r = 0; r < rounds; r++) {
      for (const target of targets) {
        if (target.figures.error) continue;
        const sample = samples.get(target.figures.name)!;
        // Alternate which variant goes first, so neither always meets a warmer file cache.
        const order = r % 2 === 0 ? (['bundled', 'unbundled'] as const) : (['unbundled', 'bundled'] as const);
        try {
          for (const variant of order)
            sample[variant].push(await importMs(variant === 'bundled' ? target.bundledFile : target.unbundledFile, target.env));
        } catch (error) {
          target.figures.error = (error as Error).message.split('\n').slice(0, 3).join(' ');
        }
      }
      log(`  item 5: import round ${r + 1}/${rounds} done`);
    }
    for (const target of targets) {
      const sample = samples.get(target.figures.name)!;
      if (target.figures.error || sample.bundled.length === 0 || sample.bundled.length !== sample.unbundled.length) continue;
      target.figures.bundledImportMs = round(median(sample.bundled), 1);
      target.figures.unbundledImportMs = round(median(sample.unbundled), 1);
      target.figures.importRatio = round(median(sample.bundled.map((ms, i) => ms / sample.unbundled[i]!)), 3);
    }
    const ratios = functions.flatMap((f) => (f.importRatio === null ? [] : [f.importRatio]));
    const largest = [...functions].sort((a, b) => b.bundleBytes - a.bundleBytes)[0];
    const composition = largest ? await compositionOf(largest.name, largest.handler).catch(() => undefined) : undefined;
    return {
      ...(composition ? { composition } : {}),
      rounds,
      packageSeconds: round(packageSeconds, 1),
      functions,
      largestBundleBytes: Math.max(...functions.map((f) => f.bundleBytes)),
      worstImportRatio: ratios.length > 0 ? Math.max(...ratios) : null,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
