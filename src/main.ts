import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { installProcessGuard } from './process-guard.js';

let config;
let app;
try {
  config = loadConfig();
  app = buildApp(config);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

installProcessGuard(app.log);
await app.start();

let exiting = false;
const shutdown = () => {
  if (exiting) return;
  exiting = true;
  // Hard deadline: whatever still hangs after the grace period is abandoned.
  setTimeout(() => process.exit(1), config.shutdownTimeoutMs).unref();
  app.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
