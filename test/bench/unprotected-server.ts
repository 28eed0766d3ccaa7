/**
 * Herald without its protection stack (query limits, rate limits, HTTP
 * rules), for measuring what that stack costs. Not a way to run Herald:
 * the switch exists only in code, never as a setting.
 */
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const app = buildApp({ ...loadConfig(), protection: false });
await app.start();
const stop = () => void app.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
