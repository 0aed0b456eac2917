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

/** The plugins for an `awsSdk` setting; anything but `runtime` or `bundled` is a mistake. */
function pluginsFor(awsSdk) {
  if (awsSdk === 'runtime') return [runtimeAwsSdk()];
  if (awsSdk === 'bundled') return [];
  throw new Error(`custom.awsSdk must be runtime or bundled, got ${JSON.stringify(awsSdk)}`);
}

module.exports = (serverless) => pluginsFor(serverless.service.custom?.awsSdk ?? 'runtime');
module.exports.pluginsFor = pluginsFor;
