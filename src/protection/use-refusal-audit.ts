import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ARMOR_CODES } from './use-armor.js';
import type { Audit } from '../log.js';

const REFUSAL_CODES = new Set<string>(Object.values(ARMOR_CODES));

export type Caller = { readonly principal: string | undefined; readonly ip: string };

/**
 * Writes an `audit` line for every operation refused by a query limit, with
 * who sent it and from where. Limits refuse in the parser (tokens) or in
 * validation rules that throw, so both are watched.
 */
export function useRefusalAudit(audit: Audit, callerOf: (context: object) => Caller): Plugin {
  const record = (error: unknown, context: object) => {
    const code = error instanceof GraphQLError ? error.extensions.code : undefined;
    if (typeof code !== 'string' || !REFUSAL_CODES.has(code)) return;
    audit({ action: 'query-refused', ...callerOf(context), reason: code, detail: (error as Error).message.slice(0, 200) });
  };
  return {
    onParse({ context }) {
      return ({ result }) => record(result, context);
    },
    onValidate({ context, validateFn, setValidationFn }) {
      setValidationFn((...args) => {
        try {
          const errors = validateFn(...args);
          for (const error of errors) record(error, context);
          return errors;
        } catch (err) {
          record(err, context);
          throw err;
        }
      });
    },
  };
}
