// The portal's home: what this account can do, from its memberships.
import { Link } from 'wouter-preact';
import { essMemberships, type Me } from '../app';
import { roleLabel } from '../labels';

export function Home({ me }: { me: Me }) {
  const ess = essMemberships(me);
  const memberships = (me.professional?.memberships.edges ?? []).map((e) => e.node);
  return (
    <section>
      <h1>Bonjour {me.professional ? `${me.professional.firstName} ${me.professional.lastName}` : me.login}</h1>
      {memberships.length > 0 && (
        <ul class="memberships" aria-label="Mes structures">
          {memberships.map((m) => <li key={m.id}>{roleLabel[m.role] ?? m.role} — {m.structure.name}</li>)}
        </ul>
      )}
      <div class="cards">
        {me.professional && (
          <Link class="card" href="/portal/demandes">
            <h2>Mes demandes d’adressage</h2>
            <p>Trouver l’ESS d’une spécialité, adresser un patient, suivre mes demandes en direct.</p>
          </Link>
        )}
        {ess.map((m) => (
          <Link class="card" key={m.id} href={`/portal/ess/${m.structure.id}`}>
            <h2>File de {m.structure.name}</h2>
            <p>Les demandes reçues, en direct : trier, attribuer, programmer, répondre.</p>
          </Link>
        ))}
        {me.professional && (
          <Link class="card" href="/portal/escap">
            <h2>Équipes ESCAP</h2>
            <p>Éligibilité, consentement, constitution de l’équipe, fil de coordination.</p>
          </Link>
        )}
        {me.professional && (
          <Link class="card" href="/portal/notifications">
            <h2>Mes notifications</h2>
            <p>Être prévenu·e par messagerie sécurisée (MSSanté) : à chaque événement, en récapitulatif quotidien, ou pas du tout.</p>
          </Link>
        )}
      </div>
    </section>
  );
}
