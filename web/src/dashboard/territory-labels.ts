// French labels the dashboards add to the shared ones (../labels.ts).
export const structureKindLabel: Record<string, string> = {
  ESP: 'ESP', MSP: 'MSP', ESS: 'ESS', CPTS: 'CPTS', DAC: 'DAC', PTA: 'PTA', SSIAD: 'SSIAD', SAAD: 'SAAD', SPASAD: 'SPASAD',
  EHPAD: 'EHPAD', CLIC: 'CLIC', CCAS: 'CCAS', CAMSP: 'CAMSP', ITEP: 'ITEP', CPAM: 'CPAM', HOSPITAL: 'Établissement de santé',
};
export const linkKindLabel: Record<string, string> = { PART_OF: 'fait partie de', ADHERES_TO: 'adhère à', WORKS_WITH: 'travaille avec' };
export const activityLabel: Record<string, string> = {
  TERRITORY_CREATED: 'Territoire créé', STRUCTURE_CREATED: 'Structure créée', STRUCTURE_UPDATED: 'Structure modifiée',
  STRUCTURE_ARCHIVED: 'Structure archivée', STRUCTURES_LINKED: 'Structures liées', STRUCTURE_LINK_ARCHIVED: 'Lien archivé',
  PROFESSIONAL_CREATED: 'Professionnel ajouté', PROFESSIONAL_UPDATED: 'Professionnel modifié', PROFESSIONAL_ARCHIVED: 'Professionnel archivé',
  MEMBERSHIP_ADDED: 'Adhésion ajoutée', MEMBERSHIP_ENDED: 'Adhésion terminée',
};
