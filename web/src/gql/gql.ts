/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Me {\n    me {\n      login\n      grants { role domain }\n      professional {\n        id firstName lastName profession specialty\n        memberships(first: 50) { edges { node { id role structure { id name kind territory { id name } } } } }\n      }\n    }\n  }\n": typeof types.MeDocument,
    "\n  query ESCAP($id: ID!) {\n    eventCursor\n    escapRules { situations { code label } minTeamSize renewalWindowDays }\n    escap(id: $id) {\n      id status situation pregnant score gridSize createdAt activatedAt expiresAt renewals exitedAt exitReason exitNote\n      territory { name }\n      patient { familyName givenNames birthDate gp { id firstName lastName } }\n      consent { id method givenAt withdrawnAt }\n      members { id role joinedAt leftAt mssante professional { id firstName lastName profession } }\n      timeline(first: 100) {\n        edges { node { id kind body taskStatus dueDate createdAt author { firstName lastName } assignee { id firstName lastName } } }\n      }\n    }\n  }\n": typeof types.EscapDocument,
    "\n  subscription ESCAPEvents($id: ID!, $after: String) { escapEvents(escapId: $id, after: $after) { cursor type } }\n": typeof types.EscapEventsDocument,
    "\n  query SearchProfessionals($search: String) {\n    professionals(filter: { search: $search }, first: 15) { edges { node { id firstName lastName profession specialty rpps } } }\n  }\n": typeof types.SearchProfessionalsDocument,
    "mutation AddMember($input: AddESCAPMemberInput!) { addESCAPMember(input: $input) { id } }": typeof types.AddMemberDocument,
    "mutation RemoveMember($id: ID!) { removeESCAPMember(id: $id) { id leftAt } }": typeof types.RemoveMemberDocument,
    "mutation Activate($id: ID!) { activateESCAP(id: $id) { id status activatedAt expiresAt } }": typeof types.ActivateDocument,
    "mutation Renew($id: ID!) { renewESCAP(id: $id) { id status expiresAt renewals } }": typeof types.RenewDocument,
    "mutation Exit($id: ID!, $reason: ExitReason!, $note: String) { exitESCAPPatient(id: $id, reason: $reason, note: $note) { id status exitedAt } }": typeof types.ExitDocument,
    "mutation WithdrawConsent($id: ID!) { withdrawESCAPConsent(escapId: $id) { id withdrawnAt } }": typeof types.WithdrawConsentDocument,
    "mutation AddEntry($input: AddESCAPEntryInput!) { addESCAPEntry(input: $input) { id } }": typeof types.AddEntryDocument,
    "mutation UpdateTask($id: ID!, $status: TaskStatus!) { updateESCAPTask(id: $id, status: $status) { id taskStatus } }": typeof types.UpdateTaskDocument,
    "\n  query MyESCAPs {\n    escapRules { situations { code label } }\n    escaps(first: 50) { edges { node { id status situation createdAt activatedAt expiresAt patient { familyName givenNames } members { id leftAt } } } }\n  }\n": typeof types.MyEscaPsDocument,
    "\n  query ESCAPRules {\n    escapRules {\n      situations { code label minAge eventWithinMonths requiresHospitalisation requiresInsulin }\n      grid { size threshold items { number label } }\n      pregnantGrid { size threshold items { number label } }\n      minTeamSize termMonths renewalWindowDays\n    }\n  }\n": typeof types.EscapRulesDocument,
    "\n  query CheckEligibility($input: ESCAPAssessmentInput!) {\n    checkESCAPEligibility(input: $input) { eligible score gridSize threshold reasons { code field message } }\n  }\n": typeof types.CheckEligibilityDocument,
    "\n  mutation RecordConsent($input: RecordConsentInput!) { recordESCAPConsent(input: $input) { id method givenAt } }\n": typeof types.RecordConsentDocument,
    "\n  mutation CreateESCAP($input: CreateESCAPInput!) { createESCAP(input: $input) { id status } }\n": typeof types.CreateEscapDocument,
    "\n  query FindESS($specialty: String, $within: ID, $territorySearch: String) {\n    structures(filter: { kinds: [ESS], specialty: $specialty, within: $within }, first: 50) {\n      totalCount edges { node { id name specialties territory { name } } }\n    }\n    territories(filter: { search: $territorySearch }, first: 20) { edges { node { id name level } } }\n  }\n": typeof types.FindEssDocument,
    "\n  query MyPatients($search: String) {\n    patients(filter: { search: $search }, first: 50) { edges { node { id familyName givenNames birthDate sex ins gp { id lastName } } } }\n  }\n": typeof types.MyPatientsDocument,
    "\n  query FindGP($search: String) {\n    professionals(filter: { search: $search, profession: \"Médecin\" }, first: 15) { edges { node { id firstName lastName specialty } } }\n  }\n": typeof types.FindGpDocument,
    "\n  mutation CreatePatient($input: CreatePatientInput!) {\n    createPatient(input: $input) { id familyName givenNames birthDate sex ins }\n  }\n": typeof types.CreatePatientDocument,
    "\n  mutation SubmitReferral($input: SubmitReferralInput!) {\n    submitReferral(input: $input) { id state }\n  }\n": typeof types.SubmitReferralDocument,
    "\n  query ReferralQueue($essId: ID!, $filter: ReferralQueueFilter) {\n    eventCursor\n    structure(id: $essId) { id name }\n    referralQueue(essId: $essId, filter: $filter, first: 100) {\n      edges { node { id state urgency modality reason submittedAt patient { familyName givenNames } requester { firstName lastName } specialist { lastName } } }\n    }\n  }\n": typeof types.ReferralQueueDocument,
    "\n  subscription QueueEvents($essId: ID!, $after: String) {\n    essQueueEvents(essId: $essId, after: $after) { cursor type subjectId }\n  }\n": typeof types.QueueEventsDocument,
    "\n  query Referral($id: ID!) {\n    eventCursor\n    referral(id: $id) {\n      id state urgency modality reason requesterKind submittedAt updatedAt myActions\n      appointmentAt answer answerModality declineReason redirectTarget pathway supportiveCare etpProgramme\n      attachments { reference mediaType size }\n      ess { id name members(role: SPECIALIST, first: 50) { edges { node { professional { id firstName lastName specialty } } } } }\n      patient { id familyName givenNames birthDate ins }\n      requester { id firstName lastName }\n      specialist { id firstName lastName }\n      redirectedTo { id ess { name } }\n      redirectedFrom { id ess { name } }\n      history { action fromState toState authorRole comment createdAt author { firstName lastName } }\n    }\n  }\n": typeof types.ReferralDocument,
    "\n  mutation TransitionReferral($input: TransitionReferralInput!) {\n    transitionReferral(input: $input) { id state myActions updatedAt }\n  }\n": typeof types.TransitionReferralDocument,
    "\n  query OtherESS { structures(filter: { kinds: [ESS] }, first: 100) { edges { node { id name } } } }\n": typeof types.OtherEssDocument,
    "\n  query MyReferrals {\n    eventCursor\n    myReferrals(first: 50) {\n      edges { node { id state urgency modality reason submittedAt updatedAt ess { id name } patient { id familyName givenNames } } }\n    }\n  }\n": typeof types.MyReferralsDocument,
    "\n  subscription ReferralEvents($id: ID!, $after: String) {\n    referralEvents(referralId: $id, after: $after) { cursor type }\n  }\n": typeof types.ReferralEventsDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me {\n      login\n      grants { role domain }\n      professional {\n        id firstName lastName profession specialty\n        memberships(first: 50) { edges { node { id role structure { id name kind territory { id name } } } } }\n      }\n    }\n  }\n": types.MeDocument,
    "\n  query ESCAP($id: ID!) {\n    eventCursor\n    escapRules { situations { code label } minTeamSize renewalWindowDays }\n    escap(id: $id) {\n      id status situation pregnant score gridSize createdAt activatedAt expiresAt renewals exitedAt exitReason exitNote\n      territory { name }\n      patient { familyName givenNames birthDate gp { id firstName lastName } }\n      consent { id method givenAt withdrawnAt }\n      members { id role joinedAt leftAt mssante professional { id firstName lastName profession } }\n      timeline(first: 100) {\n        edges { node { id kind body taskStatus dueDate createdAt author { firstName lastName } assignee { id firstName lastName } } }\n      }\n    }\n  }\n": types.EscapDocument,
    "\n  subscription ESCAPEvents($id: ID!, $after: String) { escapEvents(escapId: $id, after: $after) { cursor type } }\n": types.EscapEventsDocument,
    "\n  query SearchProfessionals($search: String) {\n    professionals(filter: { search: $search }, first: 15) { edges { node { id firstName lastName profession specialty rpps } } }\n  }\n": types.SearchProfessionalsDocument,
    "mutation AddMember($input: AddESCAPMemberInput!) { addESCAPMember(input: $input) { id } }": types.AddMemberDocument,
    "mutation RemoveMember($id: ID!) { removeESCAPMember(id: $id) { id leftAt } }": types.RemoveMemberDocument,
    "mutation Activate($id: ID!) { activateESCAP(id: $id) { id status activatedAt expiresAt } }": types.ActivateDocument,
    "mutation Renew($id: ID!) { renewESCAP(id: $id) { id status expiresAt renewals } }": types.RenewDocument,
    "mutation Exit($id: ID!, $reason: ExitReason!, $note: String) { exitESCAPPatient(id: $id, reason: $reason, note: $note) { id status exitedAt } }": types.ExitDocument,
    "mutation WithdrawConsent($id: ID!) { withdrawESCAPConsent(escapId: $id) { id withdrawnAt } }": types.WithdrawConsentDocument,
    "mutation AddEntry($input: AddESCAPEntryInput!) { addESCAPEntry(input: $input) { id } }": types.AddEntryDocument,
    "mutation UpdateTask($id: ID!, $status: TaskStatus!) { updateESCAPTask(id: $id, status: $status) { id taskStatus } }": types.UpdateTaskDocument,
    "\n  query MyESCAPs {\n    escapRules { situations { code label } }\n    escaps(first: 50) { edges { node { id status situation createdAt activatedAt expiresAt patient { familyName givenNames } members { id leftAt } } } }\n  }\n": types.MyEscaPsDocument,
    "\n  query ESCAPRules {\n    escapRules {\n      situations { code label minAge eventWithinMonths requiresHospitalisation requiresInsulin }\n      grid { size threshold items { number label } }\n      pregnantGrid { size threshold items { number label } }\n      minTeamSize termMonths renewalWindowDays\n    }\n  }\n": types.EscapRulesDocument,
    "\n  query CheckEligibility($input: ESCAPAssessmentInput!) {\n    checkESCAPEligibility(input: $input) { eligible score gridSize threshold reasons { code field message } }\n  }\n": types.CheckEligibilityDocument,
    "\n  mutation RecordConsent($input: RecordConsentInput!) { recordESCAPConsent(input: $input) { id method givenAt } }\n": types.RecordConsentDocument,
    "\n  mutation CreateESCAP($input: CreateESCAPInput!) { createESCAP(input: $input) { id status } }\n": types.CreateEscapDocument,
    "\n  query FindESS($specialty: String, $within: ID, $territorySearch: String) {\n    structures(filter: { kinds: [ESS], specialty: $specialty, within: $within }, first: 50) {\n      totalCount edges { node { id name specialties territory { name } } }\n    }\n    territories(filter: { search: $territorySearch }, first: 20) { edges { node { id name level } } }\n  }\n": types.FindEssDocument,
    "\n  query MyPatients($search: String) {\n    patients(filter: { search: $search }, first: 50) { edges { node { id familyName givenNames birthDate sex ins gp { id lastName } } } }\n  }\n": types.MyPatientsDocument,
    "\n  query FindGP($search: String) {\n    professionals(filter: { search: $search, profession: \"Médecin\" }, first: 15) { edges { node { id firstName lastName specialty } } }\n  }\n": types.FindGpDocument,
    "\n  mutation CreatePatient($input: CreatePatientInput!) {\n    createPatient(input: $input) { id familyName givenNames birthDate sex ins }\n  }\n": types.CreatePatientDocument,
    "\n  mutation SubmitReferral($input: SubmitReferralInput!) {\n    submitReferral(input: $input) { id state }\n  }\n": types.SubmitReferralDocument,
    "\n  query ReferralQueue($essId: ID!, $filter: ReferralQueueFilter) {\n    eventCursor\n    structure(id: $essId) { id name }\n    referralQueue(essId: $essId, filter: $filter, first: 100) {\n      edges { node { id state urgency modality reason submittedAt patient { familyName givenNames } requester { firstName lastName } specialist { lastName } } }\n    }\n  }\n": types.ReferralQueueDocument,
    "\n  subscription QueueEvents($essId: ID!, $after: String) {\n    essQueueEvents(essId: $essId, after: $after) { cursor type subjectId }\n  }\n": types.QueueEventsDocument,
    "\n  query Referral($id: ID!) {\n    eventCursor\n    referral(id: $id) {\n      id state urgency modality reason requesterKind submittedAt updatedAt myActions\n      appointmentAt answer answerModality declineReason redirectTarget pathway supportiveCare etpProgramme\n      attachments { reference mediaType size }\n      ess { id name members(role: SPECIALIST, first: 50) { edges { node { professional { id firstName lastName specialty } } } } }\n      patient { id familyName givenNames birthDate ins }\n      requester { id firstName lastName }\n      specialist { id firstName lastName }\n      redirectedTo { id ess { name } }\n      redirectedFrom { id ess { name } }\n      history { action fromState toState authorRole comment createdAt author { firstName lastName } }\n    }\n  }\n": types.ReferralDocument,
    "\n  mutation TransitionReferral($input: TransitionReferralInput!) {\n    transitionReferral(input: $input) { id state myActions updatedAt }\n  }\n": types.TransitionReferralDocument,
    "\n  query OtherESS { structures(filter: { kinds: [ESS] }, first: 100) { edges { node { id name } } } }\n": types.OtherEssDocument,
    "\n  query MyReferrals {\n    eventCursor\n    myReferrals(first: 50) {\n      edges { node { id state urgency modality reason submittedAt updatedAt ess { id name } patient { id familyName givenNames } } }\n    }\n  }\n": types.MyReferralsDocument,
    "\n  subscription ReferralEvents($id: ID!, $after: String) {\n    referralEvents(referralId: $id, after: $after) { cursor type }\n  }\n": types.ReferralEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      login\n      grants { role domain }\n      professional {\n        id firstName lastName profession specialty\n        memberships(first: 50) { edges { node { id role structure { id name kind territory { id name } } } } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      login\n      grants { role domain }\n      professional {\n        id firstName lastName profession specialty\n        memberships(first: 50) { edges { node { id role structure { id name kind territory { id name } } } } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ESCAP($id: ID!) {\n    eventCursor\n    escapRules { situations { code label } minTeamSize renewalWindowDays }\n    escap(id: $id) {\n      id status situation pregnant score gridSize createdAt activatedAt expiresAt renewals exitedAt exitReason exitNote\n      territory { name }\n      patient { familyName givenNames birthDate gp { id firstName lastName } }\n      consent { id method givenAt withdrawnAt }\n      members { id role joinedAt leftAt mssante professional { id firstName lastName profession } }\n      timeline(first: 100) {\n        edges { node { id kind body taskStatus dueDate createdAt author { firstName lastName } assignee { id firstName lastName } } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ESCAP($id: ID!) {\n    eventCursor\n    escapRules { situations { code label } minTeamSize renewalWindowDays }\n    escap(id: $id) {\n      id status situation pregnant score gridSize createdAt activatedAt expiresAt renewals exitedAt exitReason exitNote\n      territory { name }\n      patient { familyName givenNames birthDate gp { id firstName lastName } }\n      consent { id method givenAt withdrawnAt }\n      members { id role joinedAt leftAt mssante professional { id firstName lastName profession } }\n      timeline(first: 100) {\n        edges { node { id kind body taskStatus dueDate createdAt author { firstName lastName } assignee { id firstName lastName } } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ESCAPEvents($id: ID!, $after: String) { escapEvents(escapId: $id, after: $after) { cursor type } }\n"): (typeof documents)["\n  subscription ESCAPEvents($id: ID!, $after: String) { escapEvents(escapId: $id, after: $after) { cursor type } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchProfessionals($search: String) {\n    professionals(filter: { search: $search }, first: 15) { edges { node { id firstName lastName profession specialty rpps } } }\n  }\n"): (typeof documents)["\n  query SearchProfessionals($search: String) {\n    professionals(filter: { search: $search }, first: 15) { edges { node { id firstName lastName profession specialty rpps } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddMember($input: AddESCAPMemberInput!) { addESCAPMember(input: $input) { id } }"): (typeof documents)["mutation AddMember($input: AddESCAPMemberInput!) { addESCAPMember(input: $input) { id } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RemoveMember($id: ID!) { removeESCAPMember(id: $id) { id leftAt } }"): (typeof documents)["mutation RemoveMember($id: ID!) { removeESCAPMember(id: $id) { id leftAt } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Activate($id: ID!) { activateESCAP(id: $id) { id status activatedAt expiresAt } }"): (typeof documents)["mutation Activate($id: ID!) { activateESCAP(id: $id) { id status activatedAt expiresAt } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Renew($id: ID!) { renewESCAP(id: $id) { id status expiresAt renewals } }"): (typeof documents)["mutation Renew($id: ID!) { renewESCAP(id: $id) { id status expiresAt renewals } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Exit($id: ID!, $reason: ExitReason!, $note: String) { exitESCAPPatient(id: $id, reason: $reason, note: $note) { id status exitedAt } }"): (typeof documents)["mutation Exit($id: ID!, $reason: ExitReason!, $note: String) { exitESCAPPatient(id: $id, reason: $reason, note: $note) { id status exitedAt } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation WithdrawConsent($id: ID!) { withdrawESCAPConsent(escapId: $id) { id withdrawnAt } }"): (typeof documents)["mutation WithdrawConsent($id: ID!) { withdrawESCAPConsent(escapId: $id) { id withdrawnAt } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddEntry($input: AddESCAPEntryInput!) { addESCAPEntry(input: $input) { id } }"): (typeof documents)["mutation AddEntry($input: AddESCAPEntryInput!) { addESCAPEntry(input: $input) { id } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateTask($id: ID!, $status: TaskStatus!) { updateESCAPTask(id: $id, status: $status) { id taskStatus } }"): (typeof documents)["mutation UpdateTask($id: ID!, $status: TaskStatus!) { updateESCAPTask(id: $id, status: $status) { id taskStatus } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyESCAPs {\n    escapRules { situations { code label } }\n    escaps(first: 50) { edges { node { id status situation createdAt activatedAt expiresAt patient { familyName givenNames } members { id leftAt } } } }\n  }\n"): (typeof documents)["\n  query MyESCAPs {\n    escapRules { situations { code label } }\n    escaps(first: 50) { edges { node { id status situation createdAt activatedAt expiresAt patient { familyName givenNames } members { id leftAt } } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ESCAPRules {\n    escapRules {\n      situations { code label minAge eventWithinMonths requiresHospitalisation requiresInsulin }\n      grid { size threshold items { number label } }\n      pregnantGrid { size threshold items { number label } }\n      minTeamSize termMonths renewalWindowDays\n    }\n  }\n"): (typeof documents)["\n  query ESCAPRules {\n    escapRules {\n      situations { code label minAge eventWithinMonths requiresHospitalisation requiresInsulin }\n      grid { size threshold items { number label } }\n      pregnantGrid { size threshold items { number label } }\n      minTeamSize termMonths renewalWindowDays\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CheckEligibility($input: ESCAPAssessmentInput!) {\n    checkESCAPEligibility(input: $input) { eligible score gridSize threshold reasons { code field message } }\n  }\n"): (typeof documents)["\n  query CheckEligibility($input: ESCAPAssessmentInput!) {\n    checkESCAPEligibility(input: $input) { eligible score gridSize threshold reasons { code field message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RecordConsent($input: RecordConsentInput!) { recordESCAPConsent(input: $input) { id method givenAt } }\n"): (typeof documents)["\n  mutation RecordConsent($input: RecordConsentInput!) { recordESCAPConsent(input: $input) { id method givenAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateESCAP($input: CreateESCAPInput!) { createESCAP(input: $input) { id status } }\n"): (typeof documents)["\n  mutation CreateESCAP($input: CreateESCAPInput!) { createESCAP(input: $input) { id status } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FindESS($specialty: String, $within: ID, $territorySearch: String) {\n    structures(filter: { kinds: [ESS], specialty: $specialty, within: $within }, first: 50) {\n      totalCount edges { node { id name specialties territory { name } } }\n    }\n    territories(filter: { search: $territorySearch }, first: 20) { edges { node { id name level } } }\n  }\n"): (typeof documents)["\n  query FindESS($specialty: String, $within: ID, $territorySearch: String) {\n    structures(filter: { kinds: [ESS], specialty: $specialty, within: $within }, first: 50) {\n      totalCount edges { node { id name specialties territory { name } } }\n    }\n    territories(filter: { search: $territorySearch }, first: 20) { edges { node { id name level } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyPatients($search: String) {\n    patients(filter: { search: $search }, first: 50) { edges { node { id familyName givenNames birthDate sex ins gp { id lastName } } } }\n  }\n"): (typeof documents)["\n  query MyPatients($search: String) {\n    patients(filter: { search: $search }, first: 50) { edges { node { id familyName givenNames birthDate sex ins gp { id lastName } } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FindGP($search: String) {\n    professionals(filter: { search: $search, profession: \"Médecin\" }, first: 15) { edges { node { id firstName lastName specialty } } }\n  }\n"): (typeof documents)["\n  query FindGP($search: String) {\n    professionals(filter: { search: $search, profession: \"Médecin\" }, first: 15) { edges { node { id firstName lastName specialty } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePatient($input: CreatePatientInput!) {\n    createPatient(input: $input) { id familyName givenNames birthDate sex ins }\n  }\n"): (typeof documents)["\n  mutation CreatePatient($input: CreatePatientInput!) {\n    createPatient(input: $input) { id familyName givenNames birthDate sex ins }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SubmitReferral($input: SubmitReferralInput!) {\n    submitReferral(input: $input) { id state }\n  }\n"): (typeof documents)["\n  mutation SubmitReferral($input: SubmitReferralInput!) {\n    submitReferral(input: $input) { id state }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReferralQueue($essId: ID!, $filter: ReferralQueueFilter) {\n    eventCursor\n    structure(id: $essId) { id name }\n    referralQueue(essId: $essId, filter: $filter, first: 100) {\n      edges { node { id state urgency modality reason submittedAt patient { familyName givenNames } requester { firstName lastName } specialist { lastName } } }\n    }\n  }\n"): (typeof documents)["\n  query ReferralQueue($essId: ID!, $filter: ReferralQueueFilter) {\n    eventCursor\n    structure(id: $essId) { id name }\n    referralQueue(essId: $essId, filter: $filter, first: 100) {\n      edges { node { id state urgency modality reason submittedAt patient { familyName givenNames } requester { firstName lastName } specialist { lastName } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription QueueEvents($essId: ID!, $after: String) {\n    essQueueEvents(essId: $essId, after: $after) { cursor type subjectId }\n  }\n"): (typeof documents)["\n  subscription QueueEvents($essId: ID!, $after: String) {\n    essQueueEvents(essId: $essId, after: $after) { cursor type subjectId }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Referral($id: ID!) {\n    eventCursor\n    referral(id: $id) {\n      id state urgency modality reason requesterKind submittedAt updatedAt myActions\n      appointmentAt answer answerModality declineReason redirectTarget pathway supportiveCare etpProgramme\n      attachments { reference mediaType size }\n      ess { id name members(role: SPECIALIST, first: 50) { edges { node { professional { id firstName lastName specialty } } } } }\n      patient { id familyName givenNames birthDate ins }\n      requester { id firstName lastName }\n      specialist { id firstName lastName }\n      redirectedTo { id ess { name } }\n      redirectedFrom { id ess { name } }\n      history { action fromState toState authorRole comment createdAt author { firstName lastName } }\n    }\n  }\n"): (typeof documents)["\n  query Referral($id: ID!) {\n    eventCursor\n    referral(id: $id) {\n      id state urgency modality reason requesterKind submittedAt updatedAt myActions\n      appointmentAt answer answerModality declineReason redirectTarget pathway supportiveCare etpProgramme\n      attachments { reference mediaType size }\n      ess { id name members(role: SPECIALIST, first: 50) { edges { node { professional { id firstName lastName specialty } } } } }\n      patient { id familyName givenNames birthDate ins }\n      requester { id firstName lastName }\n      specialist { id firstName lastName }\n      redirectedTo { id ess { name } }\n      redirectedFrom { id ess { name } }\n      history { action fromState toState authorRole comment createdAt author { firstName lastName } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TransitionReferral($input: TransitionReferralInput!) {\n    transitionReferral(input: $input) { id state myActions updatedAt }\n  }\n"): (typeof documents)["\n  mutation TransitionReferral($input: TransitionReferralInput!) {\n    transitionReferral(input: $input) { id state myActions updatedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OtherESS { structures(filter: { kinds: [ESS] }, first: 100) { edges { node { id name } } } }\n"): (typeof documents)["\n  query OtherESS { structures(filter: { kinds: [ESS] }, first: 100) { edges { node { id name } } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyReferrals {\n    eventCursor\n    myReferrals(first: 50) {\n      edges { node { id state urgency modality reason submittedAt updatedAt ess { id name } patient { id familyName givenNames } } }\n    }\n  }\n"): (typeof documents)["\n  query MyReferrals {\n    eventCursor\n    myReferrals(first: 50) {\n      edges { node { id state urgency modality reason submittedAt updatedAt ess { id name } patient { id familyName givenNames } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ReferralEvents($id: ID!, $after: String) {\n    referralEvents(referralId: $id, after: $after) { cursor type }\n  }\n"): (typeof documents)["\n  subscription ReferralEvents($id: ID!, $after: String) {\n    referralEvents(referralId: $id, after: $after) { cursor type }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;