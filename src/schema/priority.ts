import { PRIORITIES } from '../events/priority.js';
import { builder } from './builder.js';

/** Event priorities as clients name them (see events/priority.ts). */
export const PriorityEnum = builder.enumType('Priority', { values: PRIORITIES });

/** The order of a subscription's catch-up (see events/subscription.ts). */
export const EventOrderEnum = builder.enumType('EventOrder', {
  values: {
    SEQUENCE: { description: 'As published: by sequence per topic, by position across topics.' },
    PRIORITY: { description: 'Highest priority first, then as published, within each run of 10,000 missed events. Live events always come as published.' },
  },
});
