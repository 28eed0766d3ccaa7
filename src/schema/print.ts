import { writeFileSync } from 'node:fs';
import { printHeraldSchema } from './index.js';

// `npm run schema`: refresh the checked-in SDL (a test fails while it is stale).
const target = new URL('../../schema/schema.graphql', import.meta.url);
writeFileSync(target, printHeraldSchema());
console.log(`wrote ${target.pathname}`);
