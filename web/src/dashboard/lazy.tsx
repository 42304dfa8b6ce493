// Loads the dashboards' module (and Chart.js) only when a dashboard is
// opened, so the portal's first load stays small.
import { useEffect, useState } from 'preact/hooks';
import type { FunctionComponent } from 'preact';
import type { Me } from '../app';

type Dashboards = FunctionComponent<{ me: Me }>;

export function LazyDashboards({ me }: { me: Me }) {
  const [mod, setMod] = useState<Dashboards>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./index').then((m) => setMod(() => m.default), () => setFailed(true));
  }, []);
  if (failed) return <p role="alert" class="error">Impossible de charger les tableaux de bord : rechargez la page.</p>;
  if (!mod) return <p class="loading" role="status">Chargement…</p>;
  const C = mod;
  return <C me={me} />;
}
