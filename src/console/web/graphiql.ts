import { signIn } from './session.js';

/**
 * GraphiQL, served from Herald itself: Yoga's GraphiQL build from the
 * installed @graphql-yoga/graphiql package (src/console/assets.ts), loaded
 * only once the token opens the console, so a visitor without one never
 * gets as far as asking for the schema.
 */
declare global {
  interface Window {
    YogaGraphiQL?: { renderYogaGraphiQL(root: HTMLElement, options: Record<string, unknown>): void };
    MonacoEnvironment?: Record<string, unknown>;
  }
}

const ASSETS = '/console/assets/';
const WORKERS: Record<string, string> = { json: 'json.worker.js', graphql: 'graphql.worker.js' };

function load(tag: 'script' | 'link', url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const element = document.createElement(tag);
    if (element instanceof HTMLScriptElement) element.src = url;
    else if (element instanceof HTMLLinkElement) {
      element.rel = 'stylesheet';
      element.href = url;
    }
    element.onload = () => resolve();
    element.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(element);
  });
}

async function main() {
  const session = await signIn();
  // The editor's workers come from this server too (same origin: no blob: URLs needed).
  window.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_module: string, label: string) => ASSETS + (WORKERS[label] ?? 'editor.worker.js') };
  await Promise.all([load('link', `${ASSETS}graphiql.css`), load('script', `${ASSETS}graphiql.js`)]);
  const root = document.getElementById('root')!;
  root.textContent = '';
  window.YogaGraphiQL!.renderYogaGraphiQL(root, {
    endpoint: '/graphql',
    title: 'Herald',
    subscriptionsProtocol: 'WS',
    // Sent with every request and in connection_init; kept out of the headers editor, which GraphiQL would store.
    additionalHeaders: session.headers,
    connectionParams: { ...session.connectionParams, clientName: 'herald-graphiql' },
    shouldPersistHeaders: false,
    query: '# Herald\n{\n  stats {\n    instanceId\n    connections\n    eventsPublished\n  }\n}\n',
  });
}

void main();
