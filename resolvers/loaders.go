package resolvers

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/maillage/maillage"
)

// loaderWait is zero: no loader waits to gather keys. Every nested field
// whose parents' level is known resolves for the whole level without a
// loader (levels.go), _entities batches its representations itself
// (entity_levels.go), and an object alone at its path is its own level. The
// loaders serve what is asked once per operation (node(id), me) and parents
// whose level is unknown (a subscription's event), where a wait would only
// add latency.
const loaderWait time.Duration = 0

// Loaders cache the lookups of one request, and batch the keys asked
// together (see loaderWait).
type Loaders struct {
	Territory          *dataloadgen.Loader[string, *maillage.Territory]
	Structure          *dataloadgen.Loader[string, *maillage.Structure]
	Professional       *dataloadgen.Loader[string, *maillage.Professional]
	ProfessionalByRPPS *dataloadgen.Loader[string, *maillage.Professional]
	StructureByFINESS  *dataloadgen.Loader[string, *maillage.Structure]
	TerritoryPages     *dataloadgen.Loader[listKey, *maillage.TerritoryConnection]
	TerritoryCounts    *dataloadgen.Loader[listKey, int]
	StructurePages     *dataloadgen.Loader[listKey, *maillage.StructureConnection]
	StructureCounts    *dataloadgen.Loader[listKey, int]
	Patient            *dataloadgen.Loader[string, *maillage.Patient]
	Membership         *dataloadgen.Loader[string, *maillage.Membership]
	Link               *dataloadgen.Loader[string, *maillage.StructureLink]
	MembershipPages    *dataloadgen.Loader[listKey, *maillage.MembershipConnection]
	StructureLinks     *dataloadgen.Loader[string, []*maillage.StructureLink]
	StructureSites     *dataloadgen.Loader[string, []*maillage.StructureSite]
	ESCAP              *dataloadgen.Loader[string, *maillage.ESCAP]
	ESCAPConsent       *dataloadgen.Loader[string, *maillage.ESCAPConsent]
	ESCAPMember        *dataloadgen.Loader[string, *maillage.ESCAPMember]
	ESCAPEntry         *dataloadgen.Loader[string, *maillage.ESCAPEntry]
	ESCAPMembers       *dataloadgen.Loader[string, []*maillage.ESCAPMember]
	ESCAPTimeline      *dataloadgen.Loader[maillage.TimelineKey, *maillage.ESCAPEntryConnection]
	Referral           *dataloadgen.Loader[string, *maillage.Referral]
	ReferralHistory    *dataloadgen.Loader[string, []*maillage.ReferralHistoryEntry]
}

// NewLoaders builds fresh loaders over the resolver's services. They carry
// the context of the request that first asks, so authorization applies.
func (r *Resolver) NewLoaders() *Loaders {
	return &Loaders{
		Territory:          dataloadgen.NewLoader(found(r.TerritoryService.TerritoriesByIDs, "territory"), dataloadgen.WithWait(loaderWait)),
		Structure:          dataloadgen.NewLoader(found(r.StructureService.StructuresByIDs, "structure"), dataloadgen.WithWait(loaderWait)),
		Professional:       dataloadgen.NewLoader(found(r.ProfessionalService.ProfessionalsByIDs, "professional"), dataloadgen.WithWait(loaderWait)),
		Membership:         dataloadgen.NewLoader(found(r.ProfessionalService.MembershipsByIDs, "membership"), dataloadgen.WithWait(loaderWait)),
		Link:               dataloadgen.NewLoader(found(r.StructureService.LinksByIDs, "structure link"), dataloadgen.WithWait(loaderWait)),
		ProfessionalByRPPS: dataloadgen.NewLoader(found(r.ProfessionalService.ProfessionalsByRPPS, "professional"), dataloadgen.WithWait(loaderWait)),
		StructureByFINESS:  dataloadgen.NewLoader(found(r.StructureService.StructuresByFINESS, "structure"), dataloadgen.WithWait(loaderWait)),
		TerritoryPages:     dataloadgen.NewLoader(pages(r.TerritoryService.FindTerritoriesWithin), dataloadgen.WithWait(loaderWait)),
		TerritoryCounts:    dataloadgen.NewLoader(counts(r.TerritoryService.CountTerritoriesWithin), dataloadgen.WithWait(loaderWait)),
		StructurePages:     dataloadgen.NewLoader(pages(r.StructureService.FindStructuresWithin), dataloadgen.WithWait(loaderWait)),
		StructureCounts:    dataloadgen.NewLoader(counts(r.StructureService.CountStructuresWithin), dataloadgen.WithWait(loaderWait)),
		Patient:            dataloadgen.NewLoader(found(r.PatientService.PatientsByIDs, "patient"), dataloadgen.WithWait(loaderWait)),
		MembershipPages:    dataloadgen.NewLoader(membershipPages(r.ProfessionalService), dataloadgen.WithWait(loaderWait)),
		StructureLinks:     dataloadgen.NewLoader(all(r.StructureService.LinksByStructureIDs), dataloadgen.WithWait(loaderWait)),
		StructureSites:     dataloadgen.NewLoader(all(r.StructureService.SitesByStructureIDs), dataloadgen.WithWait(loaderWait)),
		ESCAP:              dataloadgen.NewLoader(found(r.ESCAPService.ESCAPsByIDs, "escap"), dataloadgen.WithWait(loaderWait)),
		ESCAPConsent:       dataloadgen.NewLoader(found(r.ESCAPService.ConsentsByIDs, "escap consent"), dataloadgen.WithWait(loaderWait)),
		ESCAPMember:        dataloadgen.NewLoader(found(r.ESCAPService.MembersByIDs, "escap member"), dataloadgen.WithWait(loaderWait)),
		ESCAPEntry:         dataloadgen.NewLoader(found(r.ESCAPService.EntriesByIDs, "escap entry"), dataloadgen.WithWait(loaderWait)),
		ESCAPMembers:       dataloadgen.NewLoader(all(r.ESCAPService.MembersByESCAPIDs), dataloadgen.WithWait(loaderWait)),
		ESCAPTimeline:      dataloadgen.NewLoader(timelines(r.ESCAPService.Timelines), dataloadgen.WithWait(loaderWait)),
		Referral:           dataloadgen.NewLoader(found(r.ReferralService.ReferralsByIDs, "referral"), dataloadgen.WithWait(loaderWait)),
		ReferralHistory:    dataloadgen.NewLoader(all(r.ReferralService.HistoryByReferralIDs), dataloadgen.WithWait(loaderWait)),
	}
}

// found adapts a by-ids lookup to a loader: a missing row is NOT_FOUND.
func found[T any](byIDs func(context.Context, []string) ([]*T, error), kind string) func(context.Context, []string) ([]*T, []error) {
	return func(ctx context.Context, ids []string) ([]*T, []error) {
		rows, err := byIDs(ctx, ids)
		errs := make([]error, len(ids))
		for i := range ids {
			switch {
			case err != nil:
				errs[i] = err
			case rows[i] == nil:
				errs[i] = maillage.NotFound(kind)
			}
		}
		if rows == nil {
			rows = make([]*T, len(ids))
		}
		return rows, errs
	}
}

// all adapts a grouped lookup to a loader.
func all[T any](byIDs func(context.Context, []string) ([][]*T, error)) func(context.Context, []string) ([][]*T, []error) {
	return func(ctx context.Context, ids []string) ([][]*T, []error) {
		rows, err := byIDs(ctx, ids)
		if err != nil {
			errs := make([]error, len(ids))
			for i := range errs {
				errs[i] = err
			}
			return make([][]*T, len(ids)), errs
		}
		return rows, nil
	}
}

type loadersKey struct{}

// WithLoaders returns ctx carrying fresh loaders.
func (r *Resolver) WithLoaders(ctx context.Context) context.Context {
	return context.WithValue(ctx, loadersKey{}, r.NewLoaders())
}

// AroundOperations gives each operation its own levels (levels.go) and
// loaders: an HTTP request, or one operation of a websocket connection.
// Both cache what they read, so they must never outlive the operation: a
// websocket open for hours would otherwise keep answering from what its
// caller could see when it opened. A subscription gets no loaders: its
// events resolve no nested list, and 20,000 open subscriptions would each
// hold a set of loaders for nothing.
func (r *Resolver) AroundOperations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		return next(withLevels(ctx))
	}
	return next(withLevels(r.WithLoaders(ctx)))
}

// loaders returns the loaders of the request in ctx, or fresh ones (a
// websocket operation, a test) so that a resolver never goes without.
func (r *Resolver) loaders(ctx context.Context) *Loaders {
	if l, ok := ctx.Value(loadersKey{}).(*Loaders); ok {
		return l
	}
	return r.NewLoaders()
}

// timelines adapts the timelines lookup to a loader.
func timelines(byKeys func(context.Context, []maillage.TimelineKey) ([]*maillage.ESCAPEntryConnection, error)) func(context.Context, []maillage.TimelineKey) ([]*maillage.ESCAPEntryConnection, []error) {
	return func(ctx context.Context, keys []maillage.TimelineKey) ([]*maillage.ESCAPEntryConnection, []error) {
		rows, err := byKeys(ctx, keys)
		if err != nil {
			errs := make([]error, len(keys))
			for i := range errs {
				errs[i] = err
			}
			return make([]*maillage.ESCAPEntryConnection, len(keys)), errs
		}
		return rows, nil
	}
}
