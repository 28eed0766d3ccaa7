import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './tasks.js';
import './stats.js';
import './gateways.js';
import './admin.js';
import './api-keys.js';
import './events.js';
import './cli.js';
import './rate-limits.js';
import './channels.js';
import './alerts.js';
import './console.js';
import './diagnostics.js';
import './thresholds.js';

let schema: GraphQLSchema | undefined;

/** The schema, built once: Pothos' builder may only be turned into a schema once. */
export function getSchema(): GraphQLSchema {
  return (schema ??= builder.toSchema());
}

/** The SDL checked in at schema/schema.graphql. */
export function printHeraldSchema(): string {
  return printSchema(lexicographicSortSchema(getSchema())) + '\n';
}
