package resolvers

import (
	"context"

	"github.com/maillage/maillage"
)

type connEnderKey struct{}

// WithConnectionEnder returns ctx carrying end, which the transport gives to
// close the whole connection when the event service ends a stream on its side
// (a slow consumer, a stopping instance), so that the client hears why.
func WithConnectionEnder(ctx context.Context, end func(err error)) context.Context {
	return context.WithValue(ctx, connEnderKey{}, end)
}

// endConnection returns the OnEnd of a subscription in ctx: the transport's
// connection ender, if any.
func endConnection(ctx context.Context) func(error) {
	end, _ := ctx.Value(connEnderKey{}).(func(error))
	return end
}

// careEvents opens a subscription to need-to-know events: the caller must
// be signed in, and each event passes f's guard.
func (r *Resolver) careEvents(ctx context.Context, after *string, f maillage.EventFilter) (<-chan *maillage.Event, error) {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to follow these events")
	}
	f.OnEnd = endConnection(ctx)
	return r.Events.SubscribeEvents(ctx, deref(after), f)
}

// escapEvents follows one team the caller may read (NOT_FOUND otherwise).
func (r *Resolver) escapEvents(ctx context.Context, escapID string, after *string) (<-chan *maillage.Event, error) {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to follow these events")
	}
	if _, err := r.loaders(ctx).ESCAP.Load(ctx, escapID); err != nil {
		return nil, err
	}
	return r.careEvents(ctx, after, maillage.EventFilter{Guard: maillage.GuardESCAP, Topics: []string{maillage.ESCAPTopic(escapID)}, EndWhenDenied: true})
}

// referralEvents follows one request the caller may read (NOT_FOUND otherwise).
func (r *Resolver) referralEvents(ctx context.Context, referralID string, after *string) (<-chan *maillage.Event, error) {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to follow these events")
	}
	if _, err := r.ReferralService.FindReferralByID(ctx, referralID); err != nil {
		return nil, err
	}
	return r.careEvents(ctx, after, maillage.EventFilter{Guard: maillage.GuardReferral, Topics: []string{maillage.ReferralTopic(referralID)}, EndWhenDenied: true})
}

// essQueueEvents follows every request addressed to an ESS, for those who
// may read its requests (its staff).
func (r *Resolver) essQueueEvents(ctx context.Context, essID string, after *string) (<-chan *maillage.Event, error) {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to follow these events")
	}
	s, err := r.StructureService.FindStructureByID(ctx, essID)
	if maillage.ErrorCode(err) == maillage.ENOTFOUND || (err == nil && s.Kind != maillage.KindESS) {
		return nil, maillage.InvalidField("essId", "no ESS %q", essID)
	} else if err != nil {
		return nil, err
	}
	return r.careEvents(ctx, after, maillage.EventFilter{
		Guard:       maillage.GuardReferral,
		TopicPrefix: maillage.TopicPrefixReferral,
		ESS:         essID,
		Probe:       &maillage.Event{Topic: maillage.TopicPrefixReferral, Domain: s.Domain},
	})
}
