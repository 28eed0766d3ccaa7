// Dependency rules for src/. test/architecture.test.ts checks them in
// `npm test`; `npm run deps` prints what breaks them.
//
// Layers: the GraphQL edge (src/schema, src/transport, src/protection,
// src/client) and the composition files (src/app.ts, src/main.ts,
// src/backends.ts, src/services.ts) may use everything; src/events, the capability folders
// (src/tasks, src/gateways, src/push, src/auth, ...) and the other top-level
// files never reach up into the edge, and only the edge speaks GraphQL.
//
// Paths are relative to the repository root. Rules name the edge, the
// composition files and the kernel, never the capability folders, so a folder
// added later (src/channels, src/alerts, ...) is covered as it appears.

/** The GraphQL edge: the server's, and the console's pages, which are GraphQL clients in the browser. */
const EDGE = '^src/(schema|transport|protection|client|console/web)/';
/** The console's browser code (bundled by esbuild for the browser, never run by the server). */
const WEB = '^src/console/web/';
/** The files that wire everything together. */
const COMPOSITION = '^src/(app|main|backends|services)\\.ts$';
/** The small shared kernel every layer may use. */
const KERNEL = '^src/(errors|ids|log|input|zod)\\.ts$';
/** GraphQL packages: the library, the server, the protocol, the schema builder, the plugins. */
const GRAPHQL_PACKAGES =
  '(^|/)node_modules/(graphql|graphql-yoga|graphql-ws|@pothos/[^/]+|@escape\\.tech/graphql-armor|@envelop/[^/]+|@graphql-yoga/[^/]+|@graphql-tools/[^/]+|@graphql-typed-document-node/[^/]+)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-module-cycle',
      severity: 'error',
      comment: 'A module must not come back to itself through its imports.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'Top-level folders of src/ must not import each other in a circle. This is dependency-cruiser\'s ' +
        'folder graph, for `npm run deps`; the test collapses every module to its top-level folder ' +
        'itself, which also catches circles through nested folders and top-level files.',
      scope: 'folder',
      from: { path: '^src/[^/]+$' },
      to: { path: '^src/[^/]+$', circular: true },
    },
    {
      name: 'capabilities-below-the-edge',
      severity: 'error',
      comment:
        'src/schema, src/transport and src/protection are imported only by the edge and by the ' +
        'composition files, never by src/events, a capability folder or another top-level file.',
      from: { path: '^src/', pathNot: [EDGE, COMPOSITION] },
      to: { path: '^src/(schema|transport|protection)/' },
    },
    {
      name: 'graphql-at-the-edge',
      severity: 'error',
      comment:
        'Only src/schema, src/transport, src/protection and src/client import GraphQL packages; ' +
        'src/app.ts wires the edge without speaking GraphQL itself.',
      from: { path: '^src/', pathNot: EDGE },
      to: { path: GRAPHQL_PACKAGES },
    },
    {
      name: 'client-stands-alone',
      comment:
        'The client SDK (src/client) runs in browsers and in other programs: it imports nothing from src/ ' +
        'outside itself, only npm packages.',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { path: '^src/', pathNot: '^src/client/' },
    },
    {
      name: 'cli-through-the-sdk',
      comment:
        'The herald CLI (src/cli) is a client like any other: it reaches the server only through the SDK ' +
        '(src/client) and npm packages, never server code (src/app.ts, rooms, schema, transport, ...).',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: '^src/(cli|client)/' },
    },
    {
      name: 'server-without-client',
      comment: 'No server module imports the client SDK or the CLI: they ship apart from the server.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|client)/' },
      to: { path: '^src/(cli|client)/' },
    },
    {
      name: 'config-without-schema',
      severity: 'error',
      comment: 'src/config.ts reaches nothing in src/schema, directly or through other modules.',
      from: { path: '^src/config\\.ts$' },
      to: { path: '^src/schema/', reachable: true },
    },
    {
      name: 'kernel-is-a-leaf',
      severity: 'error',
      comment: 'src/errors.ts, src/ids.ts, src/log.ts, src/input.ts and src/zod.ts import nothing from src/ but each other.',
      from: { path: KERNEL },
      to: { path: '^src/', pathNot: KERNEL },
    },
    {
      name: 'browser-code-apart',
      severity: 'error',
      comment:
        'src/console/web is bundled for the browser: it imports only itself and browser-safe packages, and no ' +
        'server module imports it (console/assets.ts names its files, it does not import them).',
      from: { path: WEB },
      to: { path: '^src/', pathNot: WEB },
    },
    {
      name: 'server-code-without-browser-code',
      severity: 'error',
      comment: 'The server never imports the console\'s browser code.',
      from: { path: '^src/', pathNot: WEB },
      to: { path: WEB },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment:
        'Every import resolves to a file or a package; an import the check cannot follow is an edge ' +
        'it cannot judge.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    // `import type` is a dependency too: keep the imports TypeScript erases.
    tsPreCompilationDeps: true,
    // The project's compiler settings (NodeNext); dependency-cruiser maps
    // './x.js' in a TypeScript source to './x.ts' by itself.
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve packages as Node does (package.json "exports"), so a GraphQL
    // import is seen as node_modules/<package>/... whatever the package layout.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
