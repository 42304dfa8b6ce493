// Hive Gateway's configuration for the e2e tests (hive-gateway -c this file):
// its defaults, plus the caller's Authorization header passed on to the
// subgraphs, as a deployment in front of the hub must do.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const authorization = request.headers.get('authorization');
      return authorization ? { authorization } : {};
    },
  },
});
