import { PRIORITIES } from '../events/priority.js';
import { builder } from './builder.js';

/** Event priorities as clients name them (see events/priority.ts). */
export const PriorityEnum = builder.enumType('Priority', { values: PRIORITIES });
