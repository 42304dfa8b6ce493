package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"

	"github.com/maillage/maillage/graph"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/resolvers"
	"github.com/maillage/maillage/server"
)

func serve(ctx context.Context, o *options, args []string) error {
	if err := noArgs("serve", args); err != nil {
		return err
	}
	if !o.databaseSet {
		stop, err := fallBackToEmbedded(ctx, o)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := postgres.WaitForServer(ctx, o.DatabaseURL, o.DatabaseWait); err != nil {
		return databaseError(o, err)
	}
	db, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	defer db.Close()
	if !o.noSeed {
		seeded, err := postgres.Seed(ctx, db)
		if err != nil {
			return err
		}
		if seeded {
			slog.Info("loaded demo data into the empty database")
		}
	}
	shutdownTracing, err := server.SetupTracing(ctx, o.Tracing, os.Stdout)
	if err != nil {
		return err
	}
	defer shutdownTracing(context.WithoutCancel(ctx))
	srv, err := server.New(ctx, o.Config, db)
	if err != nil {
		return err
	}
	return srv.ListenAndServe(ctx, func(addr string) {
		fmt.Printf("Maillage is up. Explorer: http://%s/   GraphQL: http://%s/graphql\n", addr, addr)
	})
}

func migrate(ctx context.Context, o *options, args []string) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		return errors.New("usage: maillage migrate up|down|status")
	}
	pool, err := connect(ctx, o, args[0] == "up")
	if err != nil {
		return err
	}
	defer pool.Close()
	return postgres.Migrate(ctx, pool.DB, args[0])
}

func seed(ctx context.Context, o *options, args []string) error {
	if err := noArgs("seed", args); err != nil {
		return err
	}
	db, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	defer db.Close()
	if o.national {
		return seedNational(ctx, db)
	}
	seeded, err := postgres.Seed(ctx, db)
	if err == nil && !seeded {
		fmt.Println("the database already has data: nothing seeded")
	}
	return err
}

func token(ctx context.Context, o *options, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: maillage token <login>")
	}
	db, err := openMigrated(ctx, o)
	if err != nil {
		return err
	}
	defer db.Close()
	tok, err := server.DevToken(ctx, o.Config, db, args[0], o.tokenTTL)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "maillage: token for %s, valid %s, issuer %s: the hub accepts it if that is its MAILLAGE_PUBLIC_URL (or http://<MAILLAGE_ADDR> when unset)\n",
		args[0], o.tokenTTL, o.DevIssuerURL())
	fmt.Println(tok)
	return nil
}

// schema prints the SDL the hub serves in _service { sdl }, asking the
// executable schema itself.
func schema(ctx context.Context, o *options, args []string) error {
	if err := noArgs("schema", args); err != nil {
		return err
	}
	exec := executor.New(graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{}}))
	exec.Use(extension.Introspection{})
	ctx = graphql.StartOperationTrace(ctx)
	oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: "{ _service { sdl } }"})
	if errs != nil {
		return errs
	}
	handle, ctx := exec.DispatchOperation(ctx, oc)
	resp := handle(ctx)
	if len(resp.Errors) > 0 {
		return resp.Errors
	}
	var data struct {
		Service struct{ SDL string } `json:"_service"`
	}
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return err
	}
	fmt.Print(data.Service.SDL)
	return nil
}

// noArgs refuses arguments to a command that takes none.
func noArgs(cmd string, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no argument, got %q (maillage help %s)", cmd, args[0], cmd)
	}
	return nil
}
