import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export type QueryLimits = {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxTokens: number;
  readonly maxCost: number;
};

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
    maxDepth: { n: limits.maxDepth, ...refuse('MAX_DEPTH') },
    maxAliases: { n: limits.maxAliases, ...refuse('MAX_ALIASES') },
    maxDirectives: { n: limits.maxDirectives, ...refuse('MAX_DIRECTIVES') },
    maxTokens: { n: limits.maxTokens, ...refuse('MAX_TOKENS') },
    costLimit: { maxCost: limits.maxCost, ...refuse('COST_LIMIT') },
    blockFieldSuggestion: { enabled: production },
  }) as Plugin;
}
