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

	"github.com/maillage/maillage/postgres"
)

// importExtract runs "maillage import rpps FILE".
func importExtract(ctx context.Context, o *options, args []string) error {
	if len(args) != 2 || args[0] != "rpps" {
		return errors.New("usage: maillage import rpps FILE|- (maillage help import)")
	}
	in, err := openExtract(args[1])
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
	rep, err := postgres.ImportRPPS(ctx, db, in, rejects, nil)
	if err != nil {
		return err
	}
	fmt.Println(rep)
	return nil
}

// openExtract opens name: standard input for "-", the first .txt or .csv
// file inside a .zip archive, the file itself otherwise.
func openExtract(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	if !strings.EqualFold(path.Ext(name), ".zip") {
		return os.Open(name)
	}
	z, err := zip.OpenReader(name)
	if err != nil {
		return nil, err
	}
	for _, f := range z.File {
		if ext := strings.ToLower(path.Ext(f.Name)); ext == ".txt" || ext == ".csv" {
			r, err := f.Open()
			if err != nil {
				z.Close()
				return nil, fmt.Errorf("%s in %s: %w", f.Name, name, err)
			}
			return zipEntry{r, z}, nil
		}
	}
	z.Close()
	return nil, fmt.Errorf("%s holds no .txt or .csv file", name)
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
