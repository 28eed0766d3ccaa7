import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { QueryLimits } from '../config.js';


/** The code each limit's refusal carries in `extensions.code`; the refusal audit watches for these. */
export const ARMOR_CODES = {
  maxDepth: 'MAX_DEPTH',
  maxAliases: 'MAX_ALIASES',
  maxDirectives: 'MAX_DIRECTIVES',
  maxTokens: 'MAX_TOKENS',
  costLimit: 'COST_LIMIT',
} as const;

/**
 * GraphQL hardening (graphql-armor) for HTTP and WebSocket alike: it hooks
 * envelop's parse and validate, which both transports run. A refusal is a
 * GraphQL error whose `extensions.code` names the limit. Field suggestions
 * ("did you mean ...") are withheld in production: they map the schema.
 */
export function useArmor(limits: QueryLimits, production: boolean): Plugin {
  const refuse = (code: string) => ({
    // Thrown in place of armor's own error, so the code travels with it.
    onReject: [
      (_ctx: unknown, error: GraphQLError) => {
        throw new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code } });
      },
    ],
  });
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ...refuse(ARMOR_CODES.maxDepth) },
    maxAliases: { n: limits.maxAliases, ...refuse(ARMOR_CODES.maxAliases) },
    maxDirectives: { n: limits.maxDirectives, ...refuse(ARMOR_CODES.maxDirectives) },
    maxTokens: { n: limits.maxTokens, ...refuse(ARMOR_CODES.maxTokens) },
    costLimit: { maxCost: limits.maxCost, ...refuse(ARMOR_CODES.costLimit) },
    blockFieldSuggestion: { enabled: production },
  }) as Plugin;
}
