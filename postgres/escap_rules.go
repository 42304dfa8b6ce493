package postgres

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// ESCAPRules returns the rules in force, with the territories of the regions
// where the ESCAP secure messaging is live: one statement for the settings,
// one for the regions. A stored configuration that does not validate is the
// operator's error (INTERNAL, logged with the key at fault), never the
// caller's.
func (db *ESCAPService) ESCAPRules(ctx context.Context) (*maillage.ESCAPRules, error) {
	if err := db.Authz.Can(ctx, authz.ActRead, authz.Object{Kind: authz.KindSettings, Domain: authz.NationalDomain}); err != nil {
		return nil, err
	}
	cfg, err := escapConfig(ctx, db)
	if err != nil {
		return nil, err
	}
	r := &maillage.ESCAPRules{ESCAPConfig: cfg, Window: cfg.Experiment()}
	const q = `SELECT id FROM territories WHERE level = 'REGION' AND code = ANY($1) ORDER BY array_position($1, code)`
	if err := db.SelectContext(ctx, &r.Window.LiveRegionIDs, q, pq.StringArray(cfg.LiveRegions)); err != nil {
		return nil, fmt.Errorf("escap live regions: %w", err)
	}
	return r, nil
}
