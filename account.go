package maillage

import (
	"context"
	"time"
)

// Account is who signs in: a professional (by RPPS) or a staff account.
type Account struct {
	ID             string     `db:"id"`
	Login          string     `db:"login"`
	DisplayName    string     `db:"display_name"`
	ProfessionalID *string    `db:"professional_id"`
	DisabledAt     *time.Time `db:"disabled_at"`
}

// Identity returns the identity of a request made by the account.
func (a *Account) Identity() Identity {
	id := Identity{AccountID: a.ID, Login: a.Login}
	if a.ProfessionalID != nil {
		id.ProfessionalID = *a.ProfessionalID
	}
	return id
}

// AccountService finds accounts.
type AccountService interface {
	// FindAccountByLogin returns NOT_FOUND if none exists.
	FindAccountByLogin(ctx context.Context, login string) (*Account, error)
}
