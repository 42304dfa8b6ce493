// The GraphQL client: urql over HTTP to the hub's /graphql, with
// subscriptions over a graphql-ws websocket to the same path, both carrying
// the signed-in user's token. Everything stays on the hub's origin.
import { Client, cacheExchange, fetchExchange, subscriptionExchange, type CombinedError } from '@urql/preact';
import { createClient as createWSClient } from 'graphql-ws';

/** A client sending token (when set) with every operation. */
export function makeClient(token: string | undefined, onUnauthenticated: () => void): Client {
  const wsURL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
  const ws = createWSClient({
    url: wsURL,
    lazy: true,
    connectionParams: () => (token ? { Authorization: 'Bearer ' + token } : {}),
    retryAttempts: 5,
  });
  return new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const dispose = ws.subscribe(input, sink);
              return { unsubscribe: dispose };
            },
          };
        },
      }),
    ],
    fetchOptions: (): RequestInit => ({
      headers: token ? { Authorization: 'Bearer ' + token } : ({} as Record<string, string>),
    }),
    fetchSubscriptions: false,
    // A 401 (expired or revoked token) signs out.
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 401) onUnauthenticated();
      return res;
    },
  });
}

/** The error of one input field (extensions.field), by the field's path. */
export function fieldErrors(error: CombinedError | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of error?.graphQLErrors ?? []) {
    const field = e.extensions?.field;
    if (typeof field === 'string') out[field] = inFrench(e.message, field);
  }
  return out;
}

/** The common input errors in French; others keep the API's words, without the field path. */
function inFrench(message: string, field: string): string {
  const text = message.startsWith(field + ': ') ? message.slice(field.length + 2) : message;
  const known: [RegExp, (m: RegExpMatchArray) => string][] = [
    [/^must not be empty$/, () => 'Ce champ est obligatoire.'],
    [/^must be at most (\d+) characters$/, (m) => `Au plus ${m[1]} caractères.`],
    [/^must be between (\d+) and (\d+) bytes$/, () => 'Taille invalide.'],
    [/^(.*) not found$/, () => 'Introuvable.'],
  ];
  for (const [re, fr] of known) {
    const m = text.match(re);
    if (m) return fr(m);
  }
  return text;
}

/** The errors not tied to one field, in French where the code says enough. */
export function generalError(error: CombinedError | undefined): string | undefined {
  if (!error) return undefined;
  if (error.networkError) return 'Le hub ne répond pas : vérifiez la connexion et réessayez.';
  const rest = error.graphQLErrors.filter((e) => typeof e.extensions?.field !== 'string');
  if (rest.length === 0) return undefined;
  const code = rest[0].extensions?.code;
  const prefix: Record<string, string> = {
    FORBIDDEN: 'Action non autorisée',
    NOT_FOUND: 'Introuvable',
    CONFLICT: 'Impossible dans l’état actuel',
    UNAUTHENTICATED: 'Session expirée',
    SERVICE_UNAVAILABLE: 'Service indisponible, réessayez',
    INTERNAL: 'Erreur interne du hub',
  };
  return (prefix[String(code)] ?? 'Erreur') + ' : ' + rest.map((e) => e.message).join(' ; ');
}
