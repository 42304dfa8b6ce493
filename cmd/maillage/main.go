// Command maillage runs the Maillage hub.
//
//	maillage [serve] [flags]      run the hub (the default command)
//	maillage migrate up|down|status
//	maillage seed [-national]     load the demo data (or the national-scale
//	                              directory) into an empty database
//	maillage import finess|rpps|mssante FILE
//	                              load a FINESS, RPPS activity or MSSanté
//	                              extract (- for standard input, .zip as
//	                              published)
//	maillage token <login>        print a development token
//	maillage schema               print the subgraph SDL
//	maillage help [command]       how to use a command
//
// Every flag can also be set by an environment variable: "maillage help
// serve" lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/maillage/maillage/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(server.NewLogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))))
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "maillage:", err)
		os.Exit(1)
	}
}

// logLevel is the lowest level logged (-log-level).
var logLevel = new(slog.LevelVar)

// A command is one of maillage's subcommands.
type command struct {
	name    string
	args    string // the positional arguments, as usage shows them
	summary string
	about   string // more, for "maillage help <name>"
	// flags registers the flag groups the command reads.
	flags func(fs *flag.FlagSet, o *options)
	run   func(ctx context.Context, o *options, args []string) error
}

// commands are listed in this order by "maillage help".
var commands = []*command{
	{
		name: "serve", summary: "run the hub (the default command)",
		about: `Creates the database if missing, applies the migrations, loads the demo data
into an empty database (unless -no-seed), and serves. Without -database-url or
DATABASE_URL, when no PostgreSQL answers on 127.0.0.1:5432, it starts a private
cluster from the installed PostgreSQL binaries (port 5433).

Endpoints: /graphql (POST, GET for queries, websockets), / (explorer), /metrics
(Prometheus), /healthz, /readyz. Logs: JSON lines on stderr, one access line
per request, each with its request_id. Tracing (OpenTelemetry) is off unless
-otel-exporter is set.`,
		flags: func(fs *flag.FlagSet, o *options) { databaseFlags(fs, o); issuerFlags(fs, o); serveFlags(fs, o) },
		run:   serve,
	},
	{
		name: "migrate", args: "up|down|status", summary: "apply the migrations, undo the last one, or list them",
		about: `up creates the database if missing and applies every pending migration; down
undoes the last one; status lists them and changes nothing (it creates no
database).`,
		flags: databaseFlags,
		run:   migrate,
	},
	{
		name: "seed", summary: "load the demo data into an empty database",
		about: `Creates the database if missing and applies the migrations first. A database
that already has data is left alone. -national loads the national-scale
directory instead of the demo data.`,
		flags: func(fs *flag.FlagSet, o *options) { databaseFlags(fs, o); seedFlags(fs, o) },
		run:   seed,
	},
	{
		name: "import", args: "finess|rpps|mssante FILE|-", summary: "load a national directory extract (FINESS, RPPS, MSSanté) into the directory",
		about: `Reads a national extract from FILE, from the .zip it is published in, or
from standard input (-), and brings the directory in line with it in one
transaction; importing the same file again changes nothing:

  finess   etalab-cs1100507-stock-<date>.csv (';'-separated, Windows-1252):
           establishments of the categories listed in the table
           finess_categories become structures of the kind it gives, in
           their department's territory (created with its region if
           missing); an imported structure absent from the file is archived.
           Structures entered by hand are never changed.
  rpps     PS_LibreAcces_Personne_activite_<date>.txt (one line per
           activity): professionals by RPPS, created or updated; one an
           import created or listed is archived (never deleted) when absent.
           Professionals entered by hand and never listed are not touched.
           An activity in a structure of the directory (site FINESS or
           SIRET) makes its professional a member.
  mssante  Extraction_Correspondance_MSSante_<date>.txt: MSSanté addresses
           given to their holder (professional by RPPS, structure by FINESS
           or SIRET); an imported address absent from the file is released.

Load FINESS first, then RPPS, then MSSanté. Each change has its event and
audit record. Lines that cannot be imported are skipped and listed with their
line number in the -rejects file (an import that fails before rejecting any
leaves the file as it was, or none); without -rejects, the first 20 are
printed on stderr once the import is over. -department keeps the lines of
some departments only. An interrupted import changes nothing. On a terminal,
a progress bar runs on stderr. Prints one summary line.`,
		flags: func(fs *flag.FlagSet, o *options) { databaseFlags(fs, o); importFlags(fs, o) },
		run:   importExtract,
	},
	{
		name: "token", args: "<login>", summary: "print a development token for a seeded account",
		about: `Prints, on stdout, a token signed with the hub's development key for an
account: admin, auditor, ars-normandie, ars-ara, or a professional's RPPS such
as 10003456781. It says on stderr which issuer it signs for: the hub accepts
the token only if its own -public-url (MAILLAGE_PUBLIC_URL), or else its
-addr, is the same. Reads the database and creates nothing but the signing
key, which the hub would create.`,
		flags: func(fs *flag.FlagSet, o *options) { databaseFlags(fs, o); issuerFlags(fs, o); tokenFlags(fs, o) },
		run:   token,
	},
	{
		name: "schema", summary: "print the federation subgraph SDL",
		about: `Prints the SDL a federation gateway composes, as the hub serves it in
_service { sdl }: the files of schema/ joined, with the federation v2 @link and
@key directives (rover supergraph compose, Hive Gateway or a schema registry
take it as a subgraph's schema). For client code generation, point the
generator at the running hub's /graphql (introspection). Needs no database.`,
		run: schema,
	},
	{
		name: "help", args: "[command]", summary: "show how to use maillage or one command",
	},
}

// find returns the command named name, nil if none.
func find(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run runs the command that args name ("serve" when they name none). Help
// goes to stdout and is not an error.
func run(ctx context.Context, args []string) error {
	name := "serve"
	if len(args) > 0 && !isHelp(args[0]) {
		args = commandFirst(args)
	}
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || isHelp(args[0])) {
		name, args = args[0], args[1:]
	}
	if isHelp(name) {
		return help(os.Stdout, args)
	}
	cmd := find(name)
	if cmd == nil {
		return fmt.Errorf("unknown command %q: maillage help lists them", name)
	}
	o := newOptions()
	fs := flagSet(cmd, o)
	pos, err := parse(fs, o, args)
	if errors.Is(err, flag.ErrHelp) {
		cmd.usage(os.Stdout, fs)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w (maillage help %s)", cmd.name, err, cmd.name)
	}
	return cmd.run(ctx, o, pos)
}

// commandFirst moves the command name to the front when flags come before
// it, as in "maillage -addr X serve" (the order older versions took). A flag's
// value is never taken for the command.
func commandFirst(args []string) []string {
	bools := map[string]bool{}
	for _, c := range commands {
		flagSet(c, newOptions()).VisitAll(func(f *flag.Flag) {
			b, ok := f.Value.(interface{ IsBoolFlag() bool })
			bools[f.Name] = ok && b.IsBoolFlag()
		})
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return args
		case !strings.HasPrefix(arg, "-"):
			if find(arg) == nil {
				return args
			}
			return append(append([]string{arg}, args[:i]...), args[i+1:]...)
		}
		if name := strings.TrimLeft(arg, "-"); !strings.Contains(name, "=") && !bools[name] {
			i++ // the flag's value
		}
	}
	return args
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// flagSet returns the command's flags, writing nothing itself: run reports
// errors and usage.
func flagSet(cmd *command, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if cmd.flags != nil {
		cmd.flags(fs, o)
	}
	return fs
}

// help prints the usage of maillage, or of the command args name.
func help(w io.Writer, args []string) error {
	switch {
	case len(args) > 1:
		return errors.New("usage: maillage help [command]")
	case len(args) == 1 && !isHelp(args[0]):
		cmd := find(args[0])
		if cmd == nil {
			return fmt.Errorf("unknown command %q: maillage help lists them", args[0])
		}
		cmd.usage(w, flagSet(cmd, newOptions()))
		return nil
	}
	fmt.Fprintln(w, "usage: maillage [command] [arguments] [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %-15s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\n\"maillage help <command>\" or \"maillage <command> --help\" shows a command's flags.\nEvery flag -some-name can also be set by MAILLAGE_SOME_NAME (DATABASE_URL for -database-url);\na flag wins over its variable.")
	return nil
}

// usage prints how to use the command, and its flags with their
// environment variables.
func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: maillage %s", c.name)
	if c.args != "" {
		fmt.Fprintf(w, " %s", c.args)
	}
	if c.flags != nil {
		fmt.Fprint(w, " [flags]")
	}
	fmt.Fprintf(w, "\n\n%s.\n", strings.ToUpper(c.summary[:1])+c.summary[1:])
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", c.about)
	}
	if c.flags == nil {
		return
	}
	fmt.Fprintln(w, "\nflags (and their environment variables):")
	fs.VisitAll(func(f *flag.Flag) {
		kind, what := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  -%s", f.Name)
		if kind != "" {
			fmt.Fprintf(w, " %s", kind)
		}
		fmt.Fprintf(w, " (%s)\n    \t%s", envName(f.Name), what)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}
