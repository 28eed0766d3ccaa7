import { z } from '../zod.js';
import { callbackUrl, displayName, identifier, pageSize, version } from '../input.js';
import { repositoryList } from '../tasks/input.js';

/**
 * Fields in the order they have always been checked, so a client with several
 * problems hears about the same one first. Whether Herald may push to the URL,
 * and whether the version is recent enough, are decided after this: they
 * depend on configuration.
 */
export const registerCliInput = z.object({
  clientVersion: version,
  repositories: repositoryList,
  name: displayName.nullish(),
  callbackUrl,
});

/** `deliveries(registrationId, first)`. */
export const deliveriesArgs = z.object({ first: pageSize, registrationId: identifier });
