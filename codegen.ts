import { readFileSync } from 'node:fs';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { parse } from 'graphql';

// Typed documents for the operations in src/client/operations.graphql,
// checked against the checked-in schema. Run with `npm run codegen`.
//
// Each operation and fragment of the file is handed to codegen as a document
// of its own (its text, as written), so the generated `graphql()` helper maps
// every operation's text to its typed document, not only the whole file's.
const OPERATIONS = 'src/client/operations.graphql';
const text = readFileSync(OPERATIONS, 'utf8');
const definitions = parse(text).definitions.map((definition) => text.slice(definition.loc!.start, definition.loc!.end));

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: definitions,
  ignoreNoDocuments: false,
  generates: {
    'src/client/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        documentMode: 'documentNode',
      },
    },
  },
};

export default config;
