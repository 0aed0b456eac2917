/**
 * The layer rules, checked by `npm run lint:deps` (part of `npm test`):
 * `npx depcruise functions shared --config .dependency-cruiser.cjs`.
 * Tests may import anything, so only production code is cruised.
 * @type {import('dependency-cruiser').IConfiguration}
 */
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
      name: 'core-and-domain-stay-pure',
      severity: 'error',
      comment:
        'The domain and the batching core import no AWS SDK, no Powertools and no adapter: they run the same in a test, a Lambda or a benchmark.',
      from: { path: '^shared/(domain|batching)/' },
      to: {
        path: [
          '(^|/)node_modules/@aws-sdk/',
          '(^|/)node_modules/@aws-lambda-powertools/',
          '(^|/)node_modules/@middy/',
          '^shared/aws/',
          '^shared/queueRequests/aws/',
          '^shared/auth/DynamoDb',
          '^shared/(local|simulator)/',
        ],
      },
    },
    {
      name: 'production-never-imports-dev-tools',
      severity: 'error',
      comment:
        'The local platform, the GPU simulator and the infer CLI (a client of the API) are tools: no function or production module may depend on them.',
      from: { path: '^(functions/|shared/)', pathNot: '^shared/(local|simulator|cli)/' },
      to: { path: '^shared/(local|simulator|cli)/' },
    },
    {
      name: 'simulator-stands-alone',
      severity: 'error',
      comment:
        'The simulator is a stand-in for a GPU server: it shares no code with the platform it serves, so it cannot hide a bug of the platform.',
      from: { path: '^shared/simulator/' },
      to: { path: '^(functions/|shared/)', pathNot: '^shared/simulator/' },
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
