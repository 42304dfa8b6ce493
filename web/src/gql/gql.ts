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
    "\n  query RegionDashboard($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {\n    territory(id: $territoryId) { id name children(first: 30) { edges { node { id name code } } } }\n    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }\n  }\n": typeof types.RegionDashboardDocument,
    "\n  query DepartmentFigures($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {\n    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }\n  }\n": typeof types.DepartmentFiguresDocument,
    "\n  query CoordinatorDashboard($territoryId: ID!, $from: String!, $to: String!, $year: Int!) {\n    territory(id: $territoryId) { id name path }\n    escapStats(territoryId: $territoryId, from: $from, to: $to) { ...ESCAPFigures }\n    escapIncentives(territoryId: $territoryId, year: $year) {\n      professional { id firstName lastName profession }\n      teams countedTeams overCap toolInUse teamsEuros toolEuros totalEuros\n    }\n  }\n": typeof types.CoordinatorDashboardDocument,
    "\n  query TerritoryDirectory($territoryId: ID!, $search: String) {\n    structures(filter: { within: $territoryId, search: $search }, first: 40) {\n      totalCount\n      edges { node {\n        id kind name mssante commune\n        territory { id name }\n        members(first: 15) { totalCount edges { node { id role professional { id firstName lastName profession mssante } } } }\n        links { id kind from { id name } to { id name } }\n      } }\n    }\n  }\n": typeof types.TerritoryDirectoryDocument,
    "\n  subscription TerritoryActivityFeed($territoryId: ID!) {\n    territoryActivity(territoryId: $territoryId) { cursor type subjectId domain at }\n  }\n": typeof types.TerritoryActivityFeedDocument,
    "\n  fragment ESCAPFigures on ESCAPStats {\n    entries { period situation count }\n    exits { period situation reason count }\n    activeTeams { territory { id name } count }\n  }\n": typeof types.EscapFiguresFragmentDoc,
    "\n  query ESCAPSituations { escapRules { situations { code label } } }\n": typeof types.EscapSituationsDocument,
    "\n  query ESSDashboard($essId: ID!, $from: Time!, $to: Time!) {\n    structure(id: $essId) { id name territory { name } }\n    referralStats(essId: $essId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n  }\n": typeof types.EssDashboardDocument,
    "\n  subscription ESSDashboardEvents($essId: ID!) {\n    essQueueEvents(essId: $essId) { cursor type at }\n  }\n": typeof types.EssDashboardEventsDocument,
    "\n  query DashboardRegions { territories(filter: { level: REGION }, first: 50) { edges { node { id name path } } } }\n": typeof types.DashboardRegionsDocument,
    "\n  fragment ReferralFigures on ReferralStats {\n    total answeredSameDay sameDayShare\n    toTriage { count medianSeconds p90Seconds }\n    toAnswer { count medianSeconds p90Seconds }\n    queue { open medianSeconds oldestSeconds }\n    periods {\n      start total answeredSameDay\n      byState { key count }\n      byRequesterKind { key count }\n      byModality { key count }\n      toTriage { count medianSeconds p90Seconds }\n      toAnswer { count medianSeconds p90Seconds }\n    }\n  }\n": typeof types.ReferralFiguresFragmentDoc,
};
const documents: Documents = {
    "\n  query Me {\n    me {\n      login\n      grants { role domain }\n      professional {\n        id firstName lastName profession specialty\n        memberships(first: 50) { edges { node { id role structure { id name kind territory { id name } } } } }\n      }\n    }\n  }\n": types.MeDocument,
    "\n  query RegionDashboard($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {\n    territory(id: $territoryId) { id name children(first: 30) { edges { node { id name code } } } }\n    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }\n  }\n": types.RegionDashboardDocument,
    "\n  query DepartmentFigures($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {\n    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }\n  }\n": types.DepartmentFiguresDocument,
    "\n  query CoordinatorDashboard($territoryId: ID!, $from: String!, $to: String!, $year: Int!) {\n    territory(id: $territoryId) { id name path }\n    escapStats(territoryId: $territoryId, from: $from, to: $to) { ...ESCAPFigures }\n    escapIncentives(territoryId: $territoryId, year: $year) {\n      professional { id firstName lastName profession }\n      teams countedTeams overCap toolInUse teamsEuros toolEuros totalEuros\n    }\n  }\n": types.CoordinatorDashboardDocument,
    "\n  query TerritoryDirectory($territoryId: ID!, $search: String) {\n    structures(filter: { within: $territoryId, search: $search }, first: 40) {\n      totalCount\n      edges { node {\n        id kind name mssante commune\n        territory { id name }\n        members(first: 15) { totalCount edges { node { id role professional { id firstName lastName profession mssante } } } }\n        links { id kind from { id name } to { id name } }\n      } }\n    }\n  }\n": types.TerritoryDirectoryDocument,
    "\n  subscription TerritoryActivityFeed($territoryId: ID!) {\n    territoryActivity(territoryId: $territoryId) { cursor type subjectId domain at }\n  }\n": types.TerritoryActivityFeedDocument,
    "\n  fragment ESCAPFigures on ESCAPStats {\n    entries { period situation count }\n    exits { period situation reason count }\n    activeTeams { territory { id name } count }\n  }\n": types.EscapFiguresFragmentDoc,
    "\n  query ESCAPSituations { escapRules { situations { code label } } }\n": types.EscapSituationsDocument,
    "\n  query ESSDashboard($essId: ID!, $from: Time!, $to: Time!) {\n    structure(id: $essId) { id name territory { name } }\n    referralStats(essId: $essId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n  }\n": types.EssDashboardDocument,
    "\n  subscription ESSDashboardEvents($essId: ID!) {\n    essQueueEvents(essId: $essId) { cursor type at }\n  }\n": types.EssDashboardEventsDocument,
    "\n  query DashboardRegions { territories(filter: { level: REGION }, first: 50) { edges { node { id name path } } } }\n": types.DashboardRegionsDocument,
    "\n  fragment ReferralFigures on ReferralStats {\n    total answeredSameDay sameDayShare\n    toTriage { count medianSeconds p90Seconds }\n    toAnswer { count medianSeconds p90Seconds }\n    queue { open medianSeconds oldestSeconds }\n    periods {\n      start total answeredSameDay\n      byState { key count }\n      byRequesterKind { key count }\n      byModality { key count }\n      toTriage { count medianSeconds p90Seconds }\n      toAnswer { count medianSeconds p90Seconds }\n    }\n  }\n": types.ReferralFiguresFragmentDoc,
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
export function graphql(source: "\n  query RegionDashboard($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {\n    territory(id: $territoryId) { id name children(first: 30) { edges { node { id name code } } } }\n    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }\n  }\n"): (typeof documents)["\n  query RegionDashboard($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {\n    territory(id: $territoryId) { id name children(first: 30) { edges { node { id name code } } } }\n    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DepartmentFigures($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {\n    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }\n  }\n"): (typeof documents)["\n  query DepartmentFigures($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {\n    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CoordinatorDashboard($territoryId: ID!, $from: String!, $to: String!, $year: Int!) {\n    territory(id: $territoryId) { id name path }\n    escapStats(territoryId: $territoryId, from: $from, to: $to) { ...ESCAPFigures }\n    escapIncentives(territoryId: $territoryId, year: $year) {\n      professional { id firstName lastName profession }\n      teams countedTeams overCap toolInUse teamsEuros toolEuros totalEuros\n    }\n  }\n"): (typeof documents)["\n  query CoordinatorDashboard($territoryId: ID!, $from: String!, $to: String!, $year: Int!) {\n    territory(id: $territoryId) { id name path }\n    escapStats(territoryId: $territoryId, from: $from, to: $to) { ...ESCAPFigures }\n    escapIncentives(territoryId: $territoryId, year: $year) {\n      professional { id firstName lastName profession }\n      teams countedTeams overCap toolInUse teamsEuros toolEuros totalEuros\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TerritoryDirectory($territoryId: ID!, $search: String) {\n    structures(filter: { within: $territoryId, search: $search }, first: 40) {\n      totalCount\n      edges { node {\n        id kind name mssante commune\n        territory { id name }\n        members(first: 15) { totalCount edges { node { id role professional { id firstName lastName profession mssante } } } }\n        links { id kind from { id name } to { id name } }\n      } }\n    }\n  }\n"): (typeof documents)["\n  query TerritoryDirectory($territoryId: ID!, $search: String) {\n    structures(filter: { within: $territoryId, search: $search }, first: 40) {\n      totalCount\n      edges { node {\n        id kind name mssante commune\n        territory { id name }\n        members(first: 15) { totalCount edges { node { id role professional { id firstName lastName profession mssante } } } }\n        links { id kind from { id name } to { id name } }\n      } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TerritoryActivityFeed($territoryId: ID!) {\n    territoryActivity(territoryId: $territoryId) { cursor type subjectId domain at }\n  }\n"): (typeof documents)["\n  subscription TerritoryActivityFeed($territoryId: ID!) {\n    territoryActivity(territoryId: $territoryId) { cursor type subjectId domain at }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ESCAPFigures on ESCAPStats {\n    entries { period situation count }\n    exits { period situation reason count }\n    activeTeams { territory { id name } count }\n  }\n"): (typeof documents)["\n  fragment ESCAPFigures on ESCAPStats {\n    entries { period situation count }\n    exits { period situation reason count }\n    activeTeams { territory { id name } count }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ESCAPSituations { escapRules { situations { code label } } }\n"): (typeof documents)["\n  query ESCAPSituations { escapRules { situations { code label } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ESSDashboard($essId: ID!, $from: Time!, $to: Time!) {\n    structure(id: $essId) { id name territory { name } }\n    referralStats(essId: $essId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n  }\n"): (typeof documents)["\n  query ESSDashboard($essId: ID!, $from: Time!, $to: Time!) {\n    structure(id: $essId) { id name territory { name } }\n    referralStats(essId: $essId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ESSDashboardEvents($essId: ID!) {\n    essQueueEvents(essId: $essId) { cursor type at }\n  }\n"): (typeof documents)["\n  subscription ESSDashboardEvents($essId: ID!) {\n    essQueueEvents(essId: $essId) { cursor type at }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardRegions { territories(filter: { level: REGION }, first: 50) { edges { node { id name path } } } }\n"): (typeof documents)["\n  query DashboardRegions { territories(filter: { level: REGION }, first: 50) { edges { node { id name path } } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ReferralFigures on ReferralStats {\n    total answeredSameDay sameDayShare\n    toTriage { count medianSeconds p90Seconds }\n    toAnswer { count medianSeconds p90Seconds }\n    queue { open medianSeconds oldestSeconds }\n    periods {\n      start total answeredSameDay\n      byState { key count }\n      byRequesterKind { key count }\n      byModality { key count }\n      toTriage { count medianSeconds p90Seconds }\n      toAnswer { count medianSeconds p90Seconds }\n    }\n  }\n"): (typeof documents)["\n  fragment ReferralFigures on ReferralStats {\n    total answeredSameDay sameDayShare\n    toTriage { count medianSeconds p90Seconds }\n    toAnswer { count medianSeconds p90Seconds }\n    queue { open medianSeconds oldestSeconds }\n    periods {\n      start total answeredSameDay\n      byState { key count }\n      byRequesterKind { key count }\n      byModality { key count }\n      toTriage { count medianSeconds p90Seconds }\n      toAnswer { count medianSeconds p90Seconds }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;