package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
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

// UpdateESCAPRules validates the patched configuration as a whole and
// stores it (every key, so the row says what is in force), under the row's
// lock; it audits the change and announces nothing patient-level.
func (db *ESCAPService) UpdateESCAPRules(ctx context.Context, p maillage.ESCAPConfigPatch) (*maillage.ESCAPRules, error) {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to change the ESCAP rules")
	}
	if err := db.Authz.Can(ctx, authz.ActWrite, authz.Object{Kind: authz.KindSettings, Domain: authz.NationalDomain}); err != nil {
		return nil, err
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO escap_settings (id) VALUES (1) ON CONFLICT (id) DO NOTHING`); err != nil {
			return err
		}
		var raw []byte
		if err := tx.GetContext(ctx, &raw, `SELECT config FROM escap_settings WHERE id = 1 FOR UPDATE`); err != nil {
			return err
		}
		// A stored configuration that no longer decodes is replaced key by
		// key from the defaults: the patch is how an operator repairs it.
		cfg := maillage.DefaultESCAPConfig()
		if err := json.Unmarshal(raw, &cfg); err != nil {
			cfg = maillage.DefaultESCAPConfig()
		}
		cfg = p.Apply(cfg)
		if err := maillage.ValidateESCAPConfig(cfg); err != nil {
			var e *maillage.Error
			if errors.As(err, &e) {
				return maillage.InvalidField("input."+e.Field, "%s", strings.TrimPrefix(e.Message, e.Field+": "))
			}
			return err
		}
		out, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE escap_settings SET config = $1, updated_at = now() WHERE id = 1`, out); err != nil {
			return err
		}
		return appendAudits(ctx, tx, authz.KindSettings, []string{"escap_settings"}, "update", literalDomain(authz.NationalDomain))
	})
	if err != nil {
		return nil, fmt.Errorf("update escap rules: %w", err)
	}
	return db.ESCAPRules(ctx)
}
