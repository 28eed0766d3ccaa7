import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the operations in src/client/operations.graphql,
// checked against the checked-in schema. Run with `npm run codegen`.
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['src/client/operations.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/client/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string' },
        documentMode: 'documentNode',
      },
    },
  },
};

export default config;
