// A second federation subgraph for the gateway tests: the opening hours of a
// structure, keyed by the hub's id (Apollo Server with @apollo/subgraph).
import { parse } from 'graphql';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { fileURLToPath } from 'node:url';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Structure @key(fields: "id") {
    id: ID!
    openingHours: String!
  }
`);

/** The opening hours the subgraph gives a structure. */
export const openingHours = (id) => `Mon-Fri 08:00-19:00 (${id.slice(-4)})`;

const resolvers = {
  Structure: { __resolveReference: (ref) => ({ id: ref.id, openingHours: openingHours(ref.id) }) },
};

/** Starts the subgraph on port (0: a free one); resolves to { url, stop() }. */
export async function startHours(port = 0) {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs, resolvers }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}

// Run on its own: node e2e/hours.mjs [port] (default 4001), for the README's
// composition example.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startHours(Number(process.argv[2] ?? 4001));
  console.log(`hours subgraph at ${url}`);
}
