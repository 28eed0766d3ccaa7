#!/usr/bin/env node
// The `herald` command (package.json "bin"): runs the TypeScript sources
// through tsx, which Herald depends on, from wherever it is called.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
