// Package resolvers holds the gqlgen resolvers: each converts its input, calls
// one service of the root package, and returns. Nested lists go through the
// per-request dataloaders of loaders.go, so a page costs a constant number of
// SQL statements whatever its size.
package resolvers

import (
	"context"

	"github.com/maillage/maillage"
)

// Resolver is the one place where the resolvers' dependencies live.
type Resolver struct {
	TerritoryService    maillage.TerritoryService
	StructureService    maillage.StructureService
	ProfessionalService maillage.ProfessionalService
	PolicyService       maillage.PolicyService
	AuditService        maillage.AuditService
	PatientService      maillage.PatientService
	ESCAPService        maillage.ESCAPService
	ESCAPStatsService   maillage.ESCAPStatsService
	ESCAPTypology       maillage.ESCAPTypologyService
	ReferralService     maillage.ReferralService
	// NotificationPreferences are the callers' own mail notification choices.
	NotificationPreferences maillage.NotificationPreferenceService
	// WebhookService manages the caller's webhooks.
	WebhookService maillage.WebhookService
	// Events streams the outbox to subscriptions.
	Events maillage.EventService
	// Grants returns the roles an account holds, as the authorizer sees them.
	Grants func(ctx context.Context, accountID string) ([]maillage.Grant, error)
}
