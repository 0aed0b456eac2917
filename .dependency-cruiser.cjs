/**
 * The layer rules, checked by `npm run lint:deps` (part of `npm test`):
 * `npx depcruise functions shared --config .dependency-cruiser.cjs`.
 * Tests may import anything, so only production code is cruised.
 *
 * The layers (docs/architecture.md draws them):
 * - handlers: functions/;
 * - composition roots: shared/wiring/ (one per function family);
 * - use cases, by capability: shared/realtime/, shared/batchJobs/, shared/queueRequests/, shared/auth/, shared/usage/;
 * - edges: shared/http/, shared/sqsEvents/ (Lambda's SQS events), shared/observability/,
 *   shared/console/ (the console's static files);
 * - building blocks: shared/domain/, shared/batchingCore/, shared/providers/, shared/routing/,
 *   shared/fleet/ (the GPU pools' sizing rule, pure), shared/errors/, shared/config/;
 * - adapters: shared/adapters/ (AWS);
 * - tools, apart: shared/devTools/, and shared/cli/ (an operator tool that talks HTTP: domain/ types only).
 * @type {import('dependency-cruiser').IConfiguration}
 */
const USE_CASES = '^shared/(realtime|batchJobs|queueRequests|auth|usage|limits)/';
const BUILDING_BLOCKS = '^shared/(domain|batchingCore|providers|routing|fleet|errors|config)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be read, tested or moved alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      comment:
        'Folders form layers too: if a folder reaches back to itself through other folders (even with no file-level cycle), those folders are one module in disguise.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-and-domain-stay-pure',
      severity: 'error',
      comment:
        'The domain, the batching core and the GPU fleet import no AWS SDK, no Powertools, no middy, no adapter and no wiring: they run the same in a test, a Lambda or a benchmark.',
      from: { path: '^shared/(domain|batchingCore|fleet)/' },
      to: {
        path: [
          '(^|/)node_modules/@aws-sdk/',
          '(^|/)node_modules/@aws-lambda-powertools/',
          '(^|/)node_modules/@middy/',
          '^shared/adapters/',
          '^shared/wiring/',
          '^shared/devTools/',
        ],
      },
    },
    {
      name: 'building-blocks-below-use-cases',
      severity: 'error',
      comment: 'Building blocks serve every capability, so they import none: no use case, composition root or adapter.',
      from: { path: BUILDING_BLOCKS },
      to: { path: [USE_CASES, '^shared/wiring/', '^shared/adapters/'] },
    },
    {
      name: 'only-wiring-builds-adapters',
      severity: 'error',
      comment:
        'Use cases, edges and building blocks see ports; only a composition root (shared/wiring/) imports an adapter (and the local platform, which stands in for AWS).',
      from: { path: '^shared/', pathNot: '^shared/(wiring|adapters|devTools)/' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'functions-import-roots-and-use-cases',
      severity: 'error',
      comment:
        'A handler imports its composition root (shared/wiring/), use cases, the edges (http/, sqsEvents/, observability/, console/), config/, and the domain schemas and errors it parses with; never an adapter, the batching core, a provider or the router, which it gets from wiring (it may name their types).',
      from: { path: '^functions/' },
      to: {
        path: '^shared/',
        pathNot:
          '^shared/(wiring|realtime|batchJobs|queueRequests|auth|usage|limits|http|sqsEvents|observability|console|config|domain|errors)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'no-barrels',
      severity: 'error',
      comment: 'No index.ts re-exports: every import names the file that defines what it takes (docs/architecture.md, "Imports").',
      from: { path: '/index[.]ts$' },
      to: {},
    },
    {
      name: 'production-never-imports-dev-tools',
      severity: 'error',
      comment:
        'The local platform, the GPU simulator and the infer CLI (a client of the API) are tools: no function or production module may depend on them.',
      from: { path: '^(functions/|shared/)', pathNot: '^shared/(devTools|cli)/' },
      to: { path: '^shared/(devTools|cli)/' },
    },
    {
      name: 'cli-talks-http',
      severity: 'error',
      comment:
        'The infer CLI is an operator tool that talks to the platform over HTTP: it may share the domain types, never an adapter, a composition root or a use case.',
      from: { path: '^shared/cli/' },
      to: { path: '^(functions/|shared/)', pathNot: '^shared/(cli|domain|errors|config)/' },
    },
    {
      name: 'simulator-stands-alone',
      severity: 'error',
      comment:
        'The simulator is a stand-in for a GPU server: it shares no code with the platform it serves, so it cannot hide a bug of the platform.',
      from: { path: '^shared/devTools/gpuSimulator/' },
      to: { path: '^(functions/|shared/)', pathNot: '^shared/devTools/gpuSimulator/' },
    },
    {
      name: 'no-function-imports-function',
      severity: 'error',
      comment: 'A handler is wired on its own; shared code lives in shared/.',
      from: { path: '^functions/([^/]+)/' },
      to: { path: '^functions/', pathNot: '^functions/$1/' },
    },
    {
      name: 'shared-never-imports-functions',
      severity: 'error',
      comment: 'Handlers sit on top: nothing below imports them.',
      from: { path: '^shared/' },
      to: { path: '^functions/' },
    },
  ],
  options: {
    // Packages are seen (so the rules can forbid them) but not walked into.
    doNotFollow: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
