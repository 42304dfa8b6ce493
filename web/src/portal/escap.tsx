// One ESCAP team's workspace: the patient and the team, members added by
// searching the directory, activation when the rules allow it, the
// coordination timeline of notes and tasks followed live, renewal, the
// patient's exit and the withdrawal of consent.
import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { graphql } from '../gql';
import type { EntryKind, ExitReason, TaskStatus } from '../gql/graphql';
import { fieldErrors } from '../client';
import { formatDate, formatDateTime } from '../format';
import { consentMethodLabel, escapStatusLabel, exitReasonLabel, taskStatusLabel } from '../labels';
import { Field, LiveBadge, OperationError, useLive } from '../ui';
import { teamRoles } from './escaps';

const ESCAPDoc = graphql(`
  query ESCAP($id: ID!) {
    eventCursor
    escapRules { situations { code label } minTeamSize renewalWindowDays }
    escap(id: $id) {
      id status situation pregnant score gridSize createdAt activatedAt expiresAt renewals exitedAt exitReason exitNote
      territory { name }
      patient { familyName givenNames birthDate gp { id firstName lastName } }
      consent { id method givenAt withdrawnAt }
      members { id role joinedAt leftAt mssante professional { id firstName lastName profession } }
      timeline(first: 100) {
        edges { node { id kind body taskStatus dueDate createdAt author { firstName lastName } assignee { id firstName lastName } } }
      }
    }
  }
`);

const ESCAPEventsDoc = graphql(`
  subscription ESCAPEvents($id: ID!, $after: String) { escapEvents(escapId: $id, after: $after) { cursor type } }
`);

const SearchProsDoc = graphql(`
  query SearchProfessionals($search: String) {
    professionals(filter: { search: $search }, first: 15) { edges { node { id firstName lastName profession specialty rpps } } }
  }
`);

const AddMemberDoc = graphql(`mutation AddMember($input: AddESCAPMemberInput!) { addESCAPMember(input: $input) { id } }`);
const RemoveMemberDoc = graphql(`mutation RemoveMember($id: ID!) { removeESCAPMember(id: $id) { id leftAt } }`);
const ActivateDoc = graphql(`mutation Activate($id: ID!) { activateESCAP(id: $id) { id status activatedAt expiresAt } }`);
const RenewDoc = graphql(`mutation Renew($id: ID!) { renewESCAP(id: $id) { id status expiresAt renewals } }`);
const ExitDoc = graphql(`mutation Exit($id: ID!, $reason: ExitReason!, $note: String) { exitESCAPPatient(id: $id, reason: $reason, note: $note) { id status exitedAt } }`);
const WithdrawDoc = graphql(`mutation WithdrawConsent($id: ID!) { withdrawESCAPConsent(escapId: $id) { id withdrawnAt } }`);
const AddEntryDoc = graphql(`mutation AddEntry($input: AddESCAPEntryInput!) { addESCAPEntry(input: $input) { id } }`);
const UpdateTaskDoc = graphql(`mutation UpdateTask($id: ID!, $status: TaskStatus!) { updateESCAPTask(id: $id, status: $status) { id taskStatus } }`);

export function ESCAPPage({ id }: { id: string }) {
  const [{ data, error }, refetch] = useQuery({ query: ESCAPDoc, variables: { id } });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const cursor = data?.eventCursor;
  const live = useLive(ESCAPEventsDoc, { id, after: cursor ?? null }, refresh, !cursor);
  if (error && !data) return <OperationError error={error} />;
  if (!data) return <p role="status">Chargement…</p>;
  const e = data.escap;
  if (!e) return <p class="error" role="alert">Cette équipe n’existe pas ou vous n’en êtes pas membre.</p>;
  const rules = data.escapRules;
  const situation = rules.situations.find((s) => s.code === e.situation)?.label ?? e.situation;
  const current = e.members.filter((m) => !m.leftAt);
  const open = e.status !== 'CLOSED';
  // The activation rules, as activateESCAP checks them.
  const missing: string[] = [];
  if (!e.consent || e.consent.withdrawnAt) missing.push('le consentement du patient');
  if (current.length < rules.minTeamSize) missing.push(`au moins ${rules.minTeamSize} professionnels (${current.length} aujourd’hui)`);
  if (!e.patient?.gp || !current.some((m) => m.professional?.id === e.patient?.gp?.id)) missing.push('le médecin traitant parmi les membres');
  const renewable = e.status === 'ACTIVE' && !!e.expiresAt &&
    new Date(e.expiresAt).getTime() - rules.renewalWindowDays * 86400_000 <= Date.now();
  return (
    <section>
      <h1>ESCAP — {e.patient ? `${e.patient.familyName} ${e.patient.givenNames}` : 'patient'}</h1>
      <p>Statut : <strong class="status" data-status={e.status}>{escapStatusLabel[e.status]}</strong> <LiveBadge connected={live.fetching && !live.error} /></p>
      <div class="panel">
        <dl class="facts">
          <dt>Situation</dt><dd>{situation}{e.pregnant ? ' (grossesse)' : ''} — score {e.score} / {e.gridSize}</dd>
          <dt>Territoire</dt><dd>{e.territory?.name}</dd>
          {e.patient && (<><dt>Patient</dt><dd>né·e le {formatDate(e.patient.birthDate)} ; médecin traitant : {e.patient.gp ? `Dr ${e.patient.gp.firstName} ${e.patient.gp.lastName}` : 'non renseigné'}</dd></>)}
          <dt>Consentement</dt><dd>{e.consent ? `${consentMethodLabel[e.consent.method]}, le ${formatDateTime(e.consent.givenAt)}${e.consent.withdrawnAt ? ` — retiré le ${formatDateTime(e.consent.withdrawnAt)}` : ''}` : 'non recueilli'}</dd>
          <dt>Créée le</dt><dd>{formatDateTime(e.createdAt)}</dd>
          {e.activatedAt && (<><dt>Active depuis</dt><dd>{formatDateTime(e.activatedAt)} ; échéance {formatDate(e.expiresAt)} ; renouvellements : {e.renewals}</dd></>)}
          {e.exitedAt && (<><dt>Sortie</dt><dd>{formatDateTime(e.exitedAt)} — {e.exitReason ? exitReasonLabel[e.exitReason] : ''}{e.exitNote ? ` : ${e.exitNote}` : ''}</dd></>)}
        </dl>
      </div>
      <Members escapId={e.id} members={current} open={open} />
      {e.status === 'FORMING' && <Activate id={e.id} missing={missing} />}
      <Timeline escapId={e.id} entries={e.timeline.edges.map((x) => x.node)} members={current} open={open} />
      {open && <TeamEnd id={e.id} renewable={renewable} consentHeld={!!e.consent && !e.consent.withdrawnAt} />}
    </section>
  );
}

type Member = { id: string; role: string; joinedAt: string; mssante?: string | null; professional?: { id: string; firstName: string; lastName: string; profession: string } | null };

function Members({ escapId, members, open }: { escapId: string; members: Member[]; open: boolean }) {
  const [search, setSearch] = useState('');
  const [{ data: found }] = useQuery({ query: SearchProsDoc, variables: { search }, pause: search.trim().length < 2 });
  const [proId, setProId] = useState('');
  const [role, setRole] = useState('NURSE');
  const [added, add] = useMutation(AddMemberDoc);
  const [removed, remove] = useMutation(RemoveMemberDoc);
  const errs = fieldErrors(added.error);
  return (
    <div class="panel">
      <h2>Équipe ({members.length})</h2>
      <ul aria-label="Membres de l’équipe">
        {members.map((m) => (
          <li key={m.id}>
            {m.professional ? `${m.professional.firstName} ${m.professional.lastName}` : '—'} — {teamRoles[m.role] ?? m.role}
            {m.mssante && <span class="muted"> · <a href={`mailto:${m.mssante}`}>{m.mssante}</a></span>}
            {open && <> <button type="button" class="danger" disabled={removed.fetching} onClick={() => remove({ id: m.id })} aria-label={`Retirer ${m.professional?.firstName ?? ''} ${m.professional?.lastName ?? ''} de l’équipe`}>Retirer</button></>}
          </li>
        ))}
      </ul>
      <OperationError error={removed.error} />
      {open && (
        <form onSubmit={async (ev) => {
          ev.preventDefault();
          const res = await add({ input: { escapId, professionalId: proId, role } });
          if (res.data) { setProId(''); setSearch(''); }
        }} aria-label="Ajouter un membre">
          <h3>Ajouter un membre</h3>
          <div class="row">
            <Field label="Rechercher un professionnel" hint="Nom ou RPPS, 2 caractères au moins">
              {(fid, d) => <input id={fid} type="search" aria-describedby={d} value={search} onInput={(ev) => setSearch(ev.currentTarget.value)} />}
            </Field>
            <Field label="Professionnel" error={errs['input.professionalId']}>
              {(fid, d, i) => (
                <select id={fid} aria-describedby={d} aria-invalid={i} value={proId} onChange={(ev) => setProId(ev.currentTarget.value)}>
                  <option value="">— {found?.professionals.edges.length ?? 0} résultat(s) —</option>
                  {found?.professionals.edges.map(({ node: p }) => <option key={p.id} value={p.id}>{p.lastName} {p.firstName} — {p.profession}{p.specialty ? ` (${p.specialty})` : ''}</option>)}
                </select>
              )}
            </Field>
            <Field label="Rôle dans l’équipe" error={errs['input.role']}>
              {(fid) => (
                <select id={fid} value={role} onChange={(ev) => setRole(ev.currentTarget.value)}>
                  {Object.entries(teamRoles).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
                </select>
              )}
            </Field>
          </div>
          <OperationError error={added.error} />
          <button type="submit" class="primary" disabled={added.fetching || !proId}>Ajouter à l’équipe</button>
        </form>
      )}
    </div>
  );
}

function Activate({ id, missing }: { id: string; missing: string[] }) {
  const [state, activate] = useMutation(ActivateDoc);
  return (
    <div class="panel">
      <h2>Activation</h2>
      {missing.length > 0 ? <p id="activation-missing">Il manque : {missing.join(' ; ')}.</p> : <p>L’équipe remplit les conditions d’activation.</p>}
      <OperationError error={state.error} />
      <button type="button" class="primary" disabled={missing.length > 0 || state.fetching} aria-describedby={missing.length ? 'activation-missing' : undefined} onClick={() => activate({ id })}>Activer l’équipe</button>
    </div>
  );
}

type Entry = { id: string; kind: string; body: string; taskStatus?: string | null; dueDate?: string | null; createdAt: string; author?: { firstName: string; lastName: string } | null; assignee?: { id: string; firstName: string; lastName: string } | null };

function Timeline({ escapId, entries, members, open }: { escapId: string; entries: Entry[]; members: Member[]; open: boolean }) {
  const [kind, setKind] = useState<EntryKind>('NOTE');
  const [body, setBody] = useState('');
  const [assigneeId, setAssigneeId] = useState('');
  const [dueDate, setDueDate] = useState('');
  const [added, add] = useMutation(AddEntryDoc);
  const [updated, update] = useMutation(UpdateTaskDoc);
  const errs = fieldErrors(added.error);
  return (
    <div class="panel">
      <h2>Fil de coordination</h2>
      <ol class="timeline" aria-label="Fil de coordination" aria-live="polite">
        {entries.length === 0 && <li class="muted">Aucune note pour l’instant.</li>}
        {entries.map((x) => (
          <li key={x.id} class={x.kind}>
            <div class="muted">{x.kind === 'TASK' ? 'Tâche' : 'Note'} de {x.author ? `${x.author.firstName} ${x.author.lastName}` : '—'}, {formatDateTime(x.createdAt)}</div>
            <div class="entry-body">{x.body}</div>
            {x.kind === 'TASK' && (
              <div>
                {taskStatusLabel[x.taskStatus ?? 'OPEN']}{x.assignee ? ` — pour ${x.assignee.firstName} ${x.assignee.lastName}` : ''}{x.dueDate ? `, échéance ${formatDate(x.dueDate)}` : ''}
                {open && x.taskStatus === 'OPEN' && (
                  <span class="actions">
                    {(['DONE', 'CANCELLED'] as TaskStatus[]).map((s) => (
                      <button key={s} type="button" disabled={updated.fetching} onClick={() => update({ id: x.id, status: s })}>{s === 'DONE' ? 'Marquer faite' : 'Annuler la tâche'}</button>
                    ))}
                  </span>
                )}
              </div>
            )}
          </li>
        ))}
      </ol>
      <OperationError error={updated.error} />
      {open && (
        <form aria-label="Ajouter au fil" onSubmit={async (ev) => {
          ev.preventDefault();
          const res = await add({ input: { escapId, kind, body, assigneeId: kind === 'TASK' && assigneeId ? assigneeId : null, dueDate: kind === 'TASK' && dueDate ? dueDate : null } });
          if (res.data) { setBody(''); setAssigneeId(''); setDueDate(''); }
        }}>
          <div class="row">
            <Field label="Type">
              {(fid) => (
                <select id={fid} value={kind} onChange={(ev) => setKind(ev.currentTarget.value as EntryKind)}>
                  <option value="NOTE">Note</option>
                  <option value="TASK">Tâche</option>
                </select>
              )}
            </Field>
            {kind === 'TASK' && (
              <>
                <Field label="Pour" error={errs['input.assigneeId']}>
                  {(fid, d, i) => (
                    <select id={fid} aria-describedby={d} aria-invalid={i} value={assigneeId} onChange={(ev) => setAssigneeId(ev.currentTarget.value)}>
                      <option value="">—</option>
                      {members.map((m) => m.professional && <option key={m.id} value={m.professional.id}>{m.professional.firstName} {m.professional.lastName}</option>)}
                    </select>
                  )}
                </Field>
                <Field label="Échéance" error={errs['input.dueDate']}>
                  {(fid, d, i) => <input id={fid} type="date" aria-describedby={d} aria-invalid={i} value={dueDate} onInput={(ev) => setDueDate(ev.currentTarget.value)} />}
                </Field>
              </>
            )}
          </div>
          <Field label={kind === 'TASK' ? 'Tâche' : 'Note'} error={errs['input.body']}>
            {(fid, d, i) => <textarea id={fid} aria-describedby={d} aria-invalid={i} value={body} onInput={(ev) => setBody(ev.currentTarget.value)} />}
          </Field>
          <OperationError error={added.error} />
          <button type="submit" class="primary" disabled={added.fetching}>Publier</button>
        </form>
      )}
    </div>
  );
}

function TeamEnd({ id, renewable, consentHeld }: { id: string; renewable: boolean; consentHeld: boolean }) {
  const [renewed, renew] = useMutation(RenewDoc);
  const [exited, exit] = useMutation(ExitDoc);
  const [withdrawn, withdraw] = useMutation(WithdrawDoc);
  const [reason, setReason] = useState<ExitReason>('RECOVERY');
  const [note, setNote] = useState('');
  const [confirmWithdraw, setConfirmWithdraw] = useState(false);
  const errs = fieldErrors(exited.error);
  return (
    <div class="panel">
      <h2>Vie de l’équipe</h2>
      {renewable && (
        <p>
          <button type="button" class="primary" disabled={renewed.fetching} onClick={() => renew({ id })}>Renouveler l’équipe</button>
          <OperationError error={renewed.error} />
        </p>
      )}
      <form aria-label="Sortie du patient" onSubmit={(ev) => { ev.preventDefault(); void exit({ id, reason, note: note.trim() || null }); }}>
        <h3>Sortie du patient</h3>
        <div class="row">
          <Field label="Motif de sortie" error={errs['reason']}>
            {(fid) => (
              <select id={fid} value={reason} onChange={(ev) => setReason(ev.currentTarget.value as ExitReason)}>
                {Object.entries(exitReasonLabel).filter(([k]) => k !== 'CONSENT_WITHDRAWN').map(([k, v]) => <option key={k} value={k}>{v}</option>)}
              </select>
            )}
          </Field>
          <Field label="Précision" error={errs['note']}>
            {(fid, d, i) => <input id={fid} aria-describedby={d} aria-invalid={i} value={note} onInput={(ev) => setNote(ev.currentTarget.value)} />}
          </Field>
        </div>
        <OperationError error={exited.error} />
        <button type="submit" class="danger" disabled={exited.fetching}>Clôturer : sortie du patient</button>
      </form>
      {consentHeld && (
        <div>
          <h3>Retrait du consentement</h3>
          <p>Le retrait clôt l’équipe : ses membres perdent aussitôt l’accès.</p>
          {!confirmWithdraw ? (
            <button type="button" class="danger" onClick={() => setConfirmWithdraw(true)}>Le patient retire son consentement…</button>
          ) : (
            <span class="actions">
              <button type="button" class="danger" disabled={withdrawn.fetching} onClick={() => withdraw({ id })}>Confirmer le retrait</button>
              <button type="button" onClick={() => setConfirmWithdraw(false)}>Annuler</button>
            </span>
          )}
          <OperationError error={withdrawn.error} />
        </div>
      )}
    </div>
  );
}
