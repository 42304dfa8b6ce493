package main

import (
	"context"
	"fmt"

	"github.com/maillage/maillage/postgres"
)

// seedNational loads the national-scale directory and says what it made.
func seedNational(ctx context.Context, db *postgres.DB) error {
	r, err := postgres.SeedNational(ctx, db)
	if err != nil {
		return err
	}
	if r == nil {
		fmt.Println("the database already has data: nothing seeded")
		return nil
	}
	fmt.Printf("seeded %d territories, %d structures (%d links), %d professionals, %d memberships, %d accounts in %s\n",
		r.Territories, r.Structures, r.Links, r.Professionals, r.Memberships, r.Accounts, r.Took.Round(100_000_000))
	return nil
}
