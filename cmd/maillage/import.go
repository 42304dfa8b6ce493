package main

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/maillage/maillage/postgres"
)

// importers are the national extracts "maillage import KIND FILE" loads,
// by kind: each reads its file with the options and returns its summary.
var importers = map[string]func(context.Context, *postgres.DB, io.Reader, postgres.ImportOptions) (fmt.Stringer, error){
	"rpps": func(ctx context.Context, db *postgres.DB, r io.Reader, opt postgres.ImportOptions) (fmt.Stringer, error) {
		return postgres.ImportRPPS(ctx, db, r, opt)
	},
	"mssante": func(ctx context.Context, db *postgres.DB, r io.Reader, opt postgres.ImportOptions) (fmt.Stringer, error) {
		return postgres.ImportMSSante(ctx, db, r, opt)
	},
	"finess": func(ctx context.Context, db *postgres.DB, r io.Reader, opt postgres.ImportOptions) (fmt.Stringer, error) {
		return postgres.ImportFINESS(ctx, db, r, opt)
	},
}

// zipEntries names, by kind, the file to read inside a published .zip that
// holds several: the RPPS archive PS_LibreAcces_<date>.zip also has the
// SavoirFaire and Dipl_AutExerc extracts.
var zipEntries = map[string]string{"rpps": "Personne_activite", "mssante": "MSSante"}

// importExtract runs "maillage import KIND FILE". The rejected lines go to
// the -rejects file (see rejectsFile); without it the first rejectsShown
// are printed on stderr once the import is over (rejectsHead), before the
// summary on stdout.
func importExtract(ctx context.Context, o *options, args []string) error {
	if len(args) != 2 || importers[args[0]] == nil {
		return errors.New("usage: maillage import finess|rpps|mssante FILE|- (maillage help import)")
	}
	kind := args[0]
	in, size, err := openExtract(args[1], zipEntries[kind])
	if err != nil {
		return err
	}
	defer in.Close()
	opt := postgres.ImportOptions{Departments: o.departments()}
	var rejects *rejectsFile
	head := &rejectsHead{}
	if o.rejects == "" {
		opt.Rejects = head
	} else {
		if sameFile(args[1], o.rejects) {
			return fmt.Errorf("-rejects %s is the extract to import", o.rejects)
		}
		if rejects, err = openRejects(o.rejects); err != nil {
			return err
		}
		opt.Rejects = rejects
	}
	rep, err := load(ctx, o, kind, in, size, opt)
	if rejects != nil {
		if cerr := rejects.close(err == nil); err == nil {
			err = cerr
		}
	}
	head.print(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Println(rep)
	return nil
}

// load opens the database and imports in, an extract of kind of size
// bytes, drawing a progress bar on stderr if it is a terminal.
func load(ctx context.Context, o *options, kind string, in io.Reader, size int64, opt postgres.ImportOptions) (fmt.Stringer, error) {
	db, err := prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return importers[kind](ctx, db, in, opt)
	}
	// Bytes read, rate and time left, lines in the description.
	bar := progressbar.NewOptions64(size, progressbar.OptionSetDescription(kind), progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true), progressbar.OptionSetWidth(10),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSpinnerType(14), progressbar.OptionFullWidth())
	opt.Progress = func(lines int) { bar.Describe(fmt.Sprintf("%s: %d lines", kind, lines)) }
	rep, err := importers[kind](ctx, db, io.TeeReader(in, bar), opt)
	bar.Exit()
	fmt.Fprintln(os.Stderr)
	return rep, err
}

// sameFile reports whether the files a and b exist and are the same.
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// openExtract opens name: standard input for "-", the first .txt or .csv
// file whose name contains entry (any case) inside a .zip archive, the file
// itself otherwise. It returns its size in bytes, -1 when unknown (standard
// input).
func openExtract(name, entry string) (io.ReadCloser, int64, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), -1, nil
	}
	if !strings.EqualFold(path.Ext(name), ".zip") {
		f, err := os.Open(name)
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, st.Size(), nil
	}
	z, err := zip.OpenReader(name)
	if err != nil {
		return nil, 0, err
	}
	for _, f := range z.File {
		ext := strings.ToLower(path.Ext(f.Name))
		if (ext == ".txt" || ext == ".csv") && strings.Contains(strings.ToLower(f.Name), strings.ToLower(entry)) {
			r, err := f.Open()
			if err != nil {
				z.Close()
				return nil, 0, fmt.Errorf("%s in %s: %w", f.Name, name, err)
			}
			return zipEntry{r, z}, int64(f.UncompressedSize64), nil
		}
	}
	z.Close()
	if entry != "" {
		return nil, 0, fmt.Errorf("%s holds no .txt or .csv file named *%s*", name, entry)
	}
	return nil, 0, fmt.Errorf("%s holds no .txt or .csv file", name)
}

// zipEntry closes the entry and its archive.
type zipEntry struct {
	io.ReadCloser
	archive *zip.ReadCloser
}

func (e zipEntry) Close() error {
	e.ReadCloser.Close()
	return e.archive.Close()
}

// departments is the -department list, upper-cased ("2a" is "2A"); nil
// when the flag is not set.
func (o *options) departments() []string {
	var out []string
	for _, d := range strings.Split(o.department, ",") {
		if d = strings.ToUpper(strings.TrimSpace(d)); d != "" {
			out = append(out, d)
		}
	}
	return out
}
