/**
 * The esbuild plugins serverless-esbuild builds every function with (`custom.esbuild.plugins`).
 *
 * `custom.awsSdk` (the `awsSdk` parameter) says where the AWS SDK v3 comes from:
 *
 * - `runtime`: the one the nodejs22.x runtime ships (/var/runtime/node_modules, on Lambda's
 *   NODE_PATH). Every `@aws-sdk/*` and `@smithy/*` import stays a `require` of that copy,
 *   so a function's zip holds only the platform's code and its other dependencies.
 *   Those imports are declared free of side effects, so a bundle requires only the clients
 *   its function uses (esbuild keeps every import of an external module otherwise, and one
 *   module that builds several kinds of clients would load them all in every function).
 * - `bundled`: the versions pinned in package.json are bundled into each function, as
 *   before; larger zips and a slower init, but no dependence on the runtime's SDK version.
 */
const SDK_PACKAGES = /^@(aws-sdk|smithy)\//;

/** The plugin that leaves the AWS SDK to the runtime (see above). */
function runtimeAwsSdk() {
  return {
    name: 'runtime-aws-sdk',
    setup(build) {
      build.onResolve({ filter: SDK_PACKAGES }, (args) => ({ path: args.path, external: true, sideEffects: false }));
    },
  };
}

const POWERTOOLS_PARSER_FILES = /[\\/]@aws-lambda-powertools[\\/]parser[\\/]lib[\\/]esm[\\/].*\.js$/;
const ZOD_NAMED_Z = /^import \{ z \} from 'zod';$/m;

/**
 * Powertools' parser schemas (SQS records, S3 notifications) take zod's `z` namespace as
 * a named export, which makes esbuild keep every export of zod, its 260 KiB of locales
 * included, and evaluate them at cold start. The same import as a namespace (`import * as
 * z`, as the platform's own code does: the same members) lets esbuild keep only what the
 * schemas use.
 */
function zodNamespaceInPowertoolsParser() {
  return {
    name: 'zod-namespace-in-powertools-parser',
    setup(build) {
      build.onLoad({ filter: POWERTOOLS_PARSER_FILES }, async (args) => {
        const source = await require('node:fs/promises').readFile(args.path, 'utf8');
        if (!ZOD_NAMED_Z.test(source)) return undefined;
        return {
          contents: source.replace(ZOD_NAMED_Z, "import * as z from 'zod';"),
          loader: 'js',
          resolveDir: require('node:path').dirname(args.path),
        };
      });
    },
  };
}

/** The plugins for an `awsSdk` setting; anything but `runtime` or `bundled` is a mistake. */
function pluginsFor(awsSdk) {
  if (awsSdk === 'runtime') return [runtimeAwsSdk(), zodNamespaceInPowertoolsParser()];
  if (awsSdk === 'bundled') return [zodNamespaceInPowertoolsParser()];
  throw new Error(`custom.awsSdk must be runtime or bundled, got ${JSON.stringify(awsSdk)}`);
}

module.exports = (serverless) => pluginsFor(serverless.service.custom?.awsSdk ?? 'runtime');
module.exports.pluginsFor = pluginsFor;
