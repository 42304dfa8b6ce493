// Generates the TypeScript types of every operation in src/ from the hub's
// schema files (schema/*.graphqls), with the client preset: graphql()
// returns typed documents that urql understands.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: ['../schema/*.graphqls', 'federation.graphql'],
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        scalars: { Time: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
  ignoreNoDocuments: true,
  silent: true,
};
export default config;
