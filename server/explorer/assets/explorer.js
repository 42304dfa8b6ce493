/*
 * Bootstraps GraphiQL for the Maillage GraphQL explorer.
 *
 * Loaded as a separate same-origin file so the page's Content-Security-Policy
 * can forbid inline scripts. Expects React, ReactDOM and GraphiQL (UMD
 * globals) to be loaded before it, and an element #graphiql whose
 * data-endpoint attribute holds the GraphQL endpoint path.
 */
(function () {
  'use strict';

  // Some GraphiQL dependencies (react-remove-scroll-bar, used by dialogs)
  // inject a <style> element at run time and tag it with __webpack_nonce__
  // when defined. The page's CSP allows styles with the per-request nonce
  // carried by this script element, so hand it over.
  var script = document.currentScript;
  if (script && script.nonce) {
    window.__webpack_nonce__ = script.nonce;
  }

  var container = document.getElementById('graphiql');
  var endpoint = container.getAttribute('data-endpoint') || '/graphql';

  // Queries and mutations go over HTTP; subscriptions over a WebSocket
  // (graphql-transport-ws protocol, graphql-ws client bundled in GraphiQL)
  // on the same host and path, ws:// or wss:// following the page's scheme.
  var httpUrl = new URL(endpoint, window.location.href);
  var wsUrl = new URL(httpUrl.href);
  wsUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';

  var fetcher = GraphiQL.createFetcher({
    url: httpUrl.href,
    subscriptionUrl: wsUrl.href,
  });

  var defaultQuery =
    '{ territories(first: 5) { totalCount edges { node { name } } } }\n';

  var root = ReactDOM.createRoot(container);
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      // Paste {"Authorization": "Bearer <token>"} in the headers editor;
      // it is kept in the browser's localStorage across reloads.
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
