// The web pages' entry: signs in (or finishes signing in), then renders the
// page of the path, /portal/… or /dashboard/…, with the GraphQL client.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Provider } from '@urql/preact';
import type { User } from 'oidc-client-ts';
import { authConfig, bearer, callbackPath, completeSignIn, currentUser, signIn, signOut, userManager } from './auth';
import { makeClient } from './client';
import { App } from './app';
import './styles.css';

function Root() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    (async () => {
      if (location.pathname === callbackPath) {
        try {
          const to = await completeSignIn();
          history.replaceState(null, '', to);
        } catch (e) {
          setNotice('La connexion a échoué : ' + (e as Error).message);
          history.replaceState(null, '', '/portal/');
        }
      }
      setUser(await currentUser());
    })();
    const mgr = userManager();
    const expired = () => {
      setNotice('Votre session a expiré : reconnectez-vous.');
      void signOut().then(() => setUser(null));
    };
    mgr.events.addAccessTokenExpired(expired);
    return () => mgr.events.removeAccessTokenExpired(expired);
  }, []);
  const client = useMemo(
    () => (user ? makeClient(bearer(user), () => {
      setNotice('Votre session a expiré : reconnectez-vous.');
      void signOut().then(() => setUser(null));
    }) : undefined),
    [user],
  );
  if (user === undefined) return <p class="loading" role="status">Chargement…</p>;
  if (!user || !client) return <SignIn notice={notice} />;
  return (
    <Provider value={client}>
      <App onSignOut={() => void signOut().then(() => setUser(null))} />
    </Provider>
  );
}

function SignIn({ notice }: { notice?: string }) {
  const cfg = authConfig();
  if (cfg.dev && !cfg.devSignIn) {
    return (
      <main class="signin">
        <h1>Maillage</h1>
        <p class="notice" role="alert">
          Ce hub n’a pas de fournisseur d’identité configuré (MAILLAGE_OIDC_ISSUER) et, n’étant pas
          joint en local, ne propose pas la connexion de développement (option -dev-sign-in).
        </p>
      </main>
    );
  }
  return (
    <main class="signin">
      <h1>Maillage</h1>
      <p>Portail d’adressage aux ESS, espace de travail des ESCAP et tableaux de bord.</p>
      {notice && <p class="notice" role="alert">{notice}</p>}
      <button class="primary" onClick={() => void signIn()}>Se connecter</button>
      {cfg.dev && <p class="muted">Hub de développement : la connexion propose les comptes de démonstration.</p>}
    </main>
  );
}

render(<Root />, document.getElementById('app')!);
