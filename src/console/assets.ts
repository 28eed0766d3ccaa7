import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file the console serves, held in memory once read or built. */
export type Asset = { readonly body: Buffer; readonly contentType: string; readonly etag: string };

const require = createRequire(import.meta.url);
const WEB = fileURLToPath(new URL('./web/', import.meta.url));
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * Where each asset comes from: GraphiQL (Yoga's own build, the one Yoga's
 * page loads from a CDN) and uPlot's stylesheet straight from the installed
 * packages; the pages' scripts built from src/console/web/ by esbuild, with
 * graphql-ws and uPlot bundled in. Nothing is fetched from elsewhere and
 * nothing built is written to disk: `npm install && npm start` serves it all.
 */
const FILES: Record<string, { readonly contentType: string; readonly read: () => Promise<Buffer> }> = {
  'graphiql.js': { contentType: JS, read: () => fromPackage('@graphql-yoga/graphiql', 'dist/yoga-graphiql.umd.js') },
  'graphiql.css': { contentType: CSS, read: () => fromPackage('@graphql-yoga/graphiql', 'dist/graphiql.css') },
  'editor.worker.js': { contentType: JS, read: () => fromPackage('@graphql-yoga/graphiql', 'dist/monacoeditorwork/editor.worker.bundle.js') },
  'json.worker.js': { contentType: JS, read: () => fromPackage('@graphql-yoga/graphiql', 'dist/monacoeditorwork/json.worker.bundle.js') },
  'graphql.worker.js': { contentType: JS, read: () => fromPackage('@graphql-yoga/graphiql', 'dist/monacoeditorwork/graphql.worker..bundle.js') },
  'console.css': {
    contentType: CSS,
    read: async () => Buffer.concat([await fromPackage('uplot', 'dist/uPlot.min.css'), Buffer.from('\n'), await readFile(join(WEB, 'console.css'))]),
  },
  'graphiql-page.js': { contentType: JS, read: () => built('graphiql-page.js') },
  'dashboard.js': { contentType: JS, read: () => built('dashboard.js') },
};

const fromPackage = (name: string, file: string) => readFile(join(packageDir(name), file));

let bundles: Promise<Map<string, Buffer>> | undefined;

/** The pages' scripts, bundled once per process on first use (a fraction of a second). */
async function built(name: string): Promise<Buffer> {
  bundles ??= bundle().catch((err: unknown) => {
    bundles = undefined; // a later request tries again
    throw err;
  });
  const file = (await bundles).get(name);
  if (!file) throw new Error(`no bundle named ${name}`);
  return file;
}

async function bundle(): Promise<Map<string, Buffer>> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { 'graphiql-page': join(WEB, 'graphiql.ts'), dashboard: join(WEB, 'dashboard.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    outdir: '/',
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((file) => [file.path.slice(file.path.lastIndexOf('/') + 1), Buffer.from(file.contents)]));
}

export type ConsoleAssets = { get(name: string): Promise<Asset | undefined> };

export function createConsoleAssets(): ConsoleAssets {
  const cache = new Map<string, Promise<Asset>>();
  return {
    get(name) {
      const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
      if (!file) return Promise.resolve(undefined);
      let asset = cache.get(name);
      if (!asset) {
        asset = file.read().then((body) => ({ body, contentType: file.contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }));
        asset.catch(() => cache.delete(name));
        cache.set(name, asset);
      }
      return asset;
    },
  };
}
