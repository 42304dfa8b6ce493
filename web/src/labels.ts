// French labels of the API's enum values.
export const referralStateLabel: Record<string, string> = {
  SUBMITTED: 'Envoyée', TRIAGED: 'Triée', ASSIGNED: 'Attribuée', SCHEDULED: 'Rendez-vous fixé',
  ANSWERED: 'Répondue', CLOSED: 'Clôturée', REDIRECTED: 'Réorientée', DECLINED: 'Refusée', WITHDRAWN: 'Retirée',
};
export const referralActionLabel: Record<string, string> = {
  SUBMIT: 'Envoi', TRIAGE: 'Tri', ASSIGN: 'Attribution', SCHEDULE: 'Rendez-vous', ANSWER: 'Réponse',
  FOLLOW_UP: 'Suivi', CLOSE: 'Clôture', REDIRECT: 'Réorientation', DECLINE: 'Refus', WITHDRAW: 'Retrait',
};
export const urgencyLabel: Record<string, string> = { URGENT: 'Urgente', PRIORITY: 'Prioritaire', ROUTINE: 'Programmée' };
export const modalityLabel: Record<string, string> = { IN_PERSON: 'En présentiel', TELECONSULTATION: 'Téléconsultation', TELEEXPERTISE: 'Téléexpertise' };
export const requesterKindLabel: Record<string, string> = {
  TREATING_GP: 'Médecin traitant', GP: 'Médecin généraliste', SPECIALIST: 'Spécialiste', GERIATRICIAN: 'Gériatre',
  EHPAD_NURSE: 'IDE en EHPAD', CPTS_COORDINATOR: 'Coordination CPTS', DAC_COORDINATOR: 'Coordination DAC',
};
export const actorLabel: Record<string, string> = {
  REQUESTER: 'Demandeur', SECRETARIAT: 'Secrétariat', CASE_MANAGER: 'Gestionnaire de cas', SPECIALIST: 'Spécialiste', ASSIGNED_SPECIALIST: 'Spécialiste attribué',
};
export const pathwayLabel: Record<string, string> = { CARE_PATHWAY: 'Parcours de soins', HEALTH_PATHWAY: 'Parcours de santé' };
export const escapStatusLabel: Record<string, string> = { FORMING: 'En constitution', ACTIVE: 'Active', CLOSED: 'Clôturée' };
export const consentMethodLabel: Record<string, string> = { ORAL: 'Oral', WRITTEN: 'Écrit', DIGITAL: 'Numérique' };
export const exitReasonLabel: Record<string, string> = {
  RECOVERY: 'Rétablissement', HOSPITALISATION: 'Hospitalisation', MOVED: 'Déménagement', DECEASED: 'Décès',
  CONSENT_WITHDRAWN: 'Retrait du consentement', OTHER: 'Autre',
};
export const taskStatusLabel: Record<string, string> = { OPEN: 'À faire', DONE: 'Faite', CANCELLED: 'Annulée' };
export const roleLabel: Record<string, string> = {
  MEMBER: 'Membre', COORDINATOR: 'Coordination', SECRETARIAT: 'Secrétariat', CASE_MANAGER: 'Gestionnaire de cas',
  SPECIALIST: 'Spécialiste', GP: 'Médecin généraliste', NURSE: 'Infirmier·e', MOBILE_TEAM: 'Équipe mobile', ADMINISTRATOR: 'Administration',
};
export const sexLabel: Record<string, string> = { F: 'Femme', M: 'Homme', U: 'Inconnu' };
/** French wording of the eligibility reasons (the API's message follows, for the details). */
export const eligibilityReasonLabel: Record<string, string> = {
  UNKNOWN_SITUATION: 'Situation non éligible',
  AGE_BELOW_MINIMUM: 'Âge inférieur au minimum de la situation',
  EVENT_DATE_MISSING: 'La date de l’événement est requise',
  EVENT_IN_FUTURE: 'La date de l’événement est dans le futur',
  EVENT_TOO_OLD: 'L’événement est trop ancien',
  NOT_HOSPITALISED: 'Cette situation suppose une hospitalisation',
  NOT_UNDER_INSULIN: 'Cette situation suppose un traitement par insuline',
  PREGNANT_NOT_FEMALE: 'Le patient est enregistré comme homme',
  GRID_INCOMPLETE: 'Chaque item de la grille doit être renseigné',
  GRID_ITEM_INVALID: 'Item de grille invalide',
  GRID_SCORE_TOO_LOW: 'Score de la grille inférieur au seuil',
};
export const notificationModeLabel: Record<string, string> = {
  IMMEDIATE: 'Immédiatement', DIGEST: 'Récapitulatif quotidien', OFF: 'Aucun message',
};
export const notificationModeHint: Record<string, string> = {
  IMMEDIATE: 'Un message par événement, dès qu’il se produit.',
  DIGEST: 'Un seul message par jour, à l’heure fixée par le hub (heure de Paris), qui regroupe les événements depuis le précédent.',
  OFF: 'Vous suivez tout sur le portail.',
};
/** What a recipient role is, for a professional (the API's NotificationRoleDefault.role). */
export const notificationRoleLabel: Record<string, string> = {
  ess_mailbox: 'Boîte organisationnelle de l’ESS : demande reçue ou retirée',
  requester: 'Demandeur : suivi de vos demandes d’avis (tri, attribution, rendez-vous, réponse, refus, réorientation)',
  assigned_specialist: 'Spécialiste : une demande d’avis vous est confiée',
  escap_member: 'Membre d’une équipe ESCAP : notes, tâches, fin de période proche',
  task_assignee: 'Membre d’une équipe ESCAP : une tâche vous est confiée',
};
