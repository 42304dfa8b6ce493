// Sign-in with OpenID Connect authorization code + PKCE (oidc-client-ts),
// against the issuer the hub names in the page's maillage-oidc meta element:
// the national professional identity provider in production, the hub's own
// development issuer (a page listing the seeded accounts) otherwise. The
// token lives in sessionStorage only: closing the tab signs out.
import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';

/** How the hub said to sign in. */
export interface AuthConfig {
  issuer: string;
  clientId: string;
  /** The hub is its own (development) issuer. */
  dev: boolean;
  /** It serves its sign-in page (false: the hub is not reached on loopback and -dev-sign-in is off). */
  devSignIn: boolean;
}

/** Reads the meta element the hub adds to the page. */
export function authConfig(): AuthConfig {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="maillage-oidc"]');
  return {
    issuer: meta?.content || location.origin,
    clientId: meta?.dataset.clientId || 'maillage',
    dev: meta?.dataset.dev === 'true',
    devSignIn: meta?.dataset.devSignIn === 'true',
  };
}

/** The path the issuer sends the browser back to. */
export const callbackPath = '/portal/callback';

let manager: UserManager | undefined;

/** The page's one UserManager. */
export function userManager(): UserManager {
  if (!manager) {
    const cfg = authConfig();
    manager = new UserManager({
      authority: cfg.issuer,
      client_id: cfg.clientId,
      redirect_uri: location.origin + callbackPath,
      post_logout_redirect_uri: location.origin + '/portal/',
      response_type: 'code',
      scope: 'openid',
      userStore: new WebStorageStateStore({ store: window.sessionStorage }),
      stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
      automaticSilentRenew: false,
      monitorSession: false,
      loadUserInfo: false,
    });
  }
  return manager;
}

/** The signed-in user, or null (also once the token expired). */
export async function currentUser(): Promise<User | null> {
  const user = await userManager().getUser();
  if (user && user.expired) {
    await userManager().removeUser();
    return null;
  }
  return user;
}

/** Sends the browser to the issuer; it comes back to returnTo. */
export function signIn(returnTo = location.pathname + location.search): Promise<void> {
  return userManager().signinRedirect({ state: { returnTo } });
}

/** Finishes the sign-in on the callback page; returns where to go. */
export async function completeSignIn(): Promise<string> {
  const user = await userManager().signinRedirectCallback();
  const returnTo = (user.state as { returnTo?: string } | undefined)?.returnTo;
  return returnTo && returnTo.startsWith('/') && !returnTo.startsWith(callbackPath) ? returnTo : '/portal/';
}

/** Forgets the token (the issuer's session, if any, is left alone). */
export async function signOut(): Promise<void> {
  await userManager().removeUser();
}

/** The bearer token the hub accepts: the ID token (its audience is the client id). */
export function bearer(user: User | null): string | undefined {
  return user?.id_token ?? undefined;
}
