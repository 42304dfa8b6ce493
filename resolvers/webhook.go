package resolvers

import (
	"context"

	"github.com/maillage/maillage"
)

// webhookDeliveries returns the first lines of w's delivery log, loaded for
// every webhook of its level in one statement.
func (r *Resolver) webhookDeliveries(ctx context.Context, w *maillage.Webhook, first int) ([]*maillage.WebhookDelivery, error) {
	load := func(ctx context.Context, ids []string) ([][]*maillage.WebhookDelivery, error) {
		byID, err := r.WebhookService.WebhookDeliveries(ctx, ids, first)
		if err != nil {
			return nil, err
		}
		out := make([][]*maillage.WebhookDelivery, len(ids))
		for i, id := range ids {
			out[i] = byID[id]
			if out[i] == nil {
				out[i] = []*maillage.WebhookDelivery{} // a list, never null
			}
		}
		return out, nil
	}
	key := func(w *maillage.Webhook) string { return w.ID }
	lines, ok, err := byLevel(ctx, w, key, load, func([]*maillage.WebhookDelivery) []any { return nil })
	if ok || err != nil {
		return lines, err
	}
	all, err := load(ctx, []string{w.ID})
	if err != nil {
		return nil, err
	}
	return all[0], nil
}
