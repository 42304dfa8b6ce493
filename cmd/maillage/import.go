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

// importer loads one kind of extract from r, writing the rejected lines to
// rejects and reporting the lines read to progress; it returns its summary.
type importer func(ctx context.Context, db *postgres.DB, o *options, r io.Reader, rejects io.Writer, progress func(int)) (fmt.Stringer, error)

// importers are the extracts "maillage import KIND FILE" loads.
var importers = map[string]importer{
	"rpps": func(ctx context.Context, db *postgres.DB, _ *options, r io.Reader, rejects io.Writer, progress func(int)) (fmt.Stringer, error) {
		return postgres.ImportRPPS(ctx, db, r, rejects, progress)
	},
	"finess": func(ctx context.Context, db *postgres.DB, o *options, r io.Reader, rejects io.Writer, progress func(int)) (fmt.Stringer, error) {
		opt := postgres.FINESSOptions{Departments: o.departments}
		if o.region != "" {
			depts := postgres.RegionDepartments(o.region)
			if depts == nil {
				return nil, fmt.Errorf("-region: %q is not the INSEE code of a region", o.region)
			}
			opt.Departments = append(opt.Departments, depts...)
		}
		return postgres.ImportFINESS(ctx, db, r, rejects, progress, opt)
	},
}

// importExtract runs "maillage import KIND FILE".
func importExtract(ctx context.Context, o *options, args []string) error {
	if len(args) != 2 || importers[args[0]] == nil {
		return errors.New("usage: maillage import rpps|finess FILE|- (maillage help import)")
	}
	kind := args[0]
	in, size, err := openExtract(args[1])
	if err != nil {
		return err
	}
	defer in.Close()
	var rejects io.Writer = os.Stderr
	if o.rejects != "" {
		f, err := os.Create(o.rejects)
		if err != nil {
			return err
		}
		defer f.Close()
		rejects = f
	}
	db, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	defer db.Close()
	var r io.Reader = in
	var progress func(int)
	done := func() {}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		// Bytes read, rate and time left, lines in the description.
		bar := progressbar.NewOptions64(size, progressbar.OptionSetDescription(kind), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true), progressbar.OptionSetWidth(10),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSpinnerType(14), progressbar.OptionFullWidth())
		done = func() { bar.Exit(); fmt.Fprintln(os.Stderr) }
		r = io.TeeReader(in, bar)
		progress = func(lines int) { bar.Describe(fmt.Sprintf("%s: %d lines", kind, lines)) }
	}
	rep, err := importers[kind](ctx, db, o, r, rejects, progress)
	done()
	if err != nil {
		return err
	}
	fmt.Println(rep)
	return nil
}

// openExtract opens name: standard input for "-", the first .txt or .csv
// file inside a .zip archive, the file itself otherwise. It returns its size
// in bytes, -1 when unknown (standard input).
func openExtract(name string) (io.ReadCloser, int64, error) {
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
		if ext := strings.ToLower(path.Ext(f.Name)); ext == ".txt" || ext == ".csv" {
			r, err := f.Open()
			if err != nil {
				z.Close()
				return nil, 0, fmt.Errorf("%s in %s: %w", f.Name, name, err)
			}
			return zipEntry{r, z}, int64(f.UncompressedSize64), nil
		}
	}
	z.Close()
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
