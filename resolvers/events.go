package resolvers

import (
	"context"
	"sync/atomic"

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

type readyKey struct{}

// EventReadiness lets a transport read a subscription's event channel only
// when it holds something (see maillage.EventFilter.Ready), rather than with
// a goroutine waiting on it.
type EventReadiness struct {
	// Ready is called after each event put in the channel and after it
	// closes; it must not block.
	Ready func()
	// attached is set once the event service has accepted the subscription:
	// from then on Ready tells when to read.
	attached atomic.Bool
}

// Attached reports whether a subscription's channel signals its events
// through Ready (otherwise the operation ended before: an error).
func (e *EventReadiness) Attached() bool { return e.attached.Load() }

// WithEventReadiness returns ctx carrying e for the subscription resolved in it.
func WithEventReadiness(ctx context.Context, e *EventReadiness) context.Context {
	return context.WithValue(ctx, readyKey{}, e)
}

// subscribe opens f's events for the caller in ctx: the stream's end and
// readiness go to the transport of ctx, if it asks for them.
func (r *Resolver) subscribe(ctx context.Context, after *string, f maillage.EventFilter) (<-chan *maillage.Event, error) {
	f.OnEnd = endConnection(ctx)
	ready, _ := ctx.Value(readyKey{}).(*EventReadiness)
	if ready != nil {
		f.Ready = ready.Ready
	}
	ch, err := r.Events.SubscribeEvents(ctx, deref(after), f)
	if err == nil && ready != nil {
		ready.attached.Store(true)
	}
	return ch, err
}

// careEvents opens a subscription to need-to-know events: the caller must
// be signed in, and each event passes f's guard.
func (r *Resolver) careEvents(ctx context.Context, after *string, f maillage.EventFilter) (<-chan *maillage.Event, error) {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to follow these events")
	}
	return r.subscribe(ctx, after, f)
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
