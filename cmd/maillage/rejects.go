package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// rejectsFile is the -rejects file of an import. It is opened before the
// import, so that a path it cannot write is refused at once, but neither
// created empty nor emptied until the import rejects a line or ends well:
// an import that fails before rejecting anything leaves the path as it
// found it.
type rejectsFile struct {
	name    string
	f       *os.File
	created bool // the path had no file: the import created it
	written bool // a line was written: the file holds this run's rejects
}

// openRejects opens the file name, creating it if missing, without
// emptying it.
func openRejects(name string) (*rejectsFile, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	created := err == nil
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(name, os.O_WRONLY, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("rejects file: %w", err)
	}
	return &rejectsFile{name: name, f: f, created: created}, nil
}

// Write writes rejected lines, emptying the file first at the first one (it
// may hold an earlier run's). It does not buffer: a write that fails fails
// the import, before its commit.
func (r *rejectsFile) Write(p []byte) (int, error) {
	if !r.written {
		if err := r.empty(); err != nil {
			return 0, err
		}
		r.written = true
	}
	return r.f.Write(p)
}

// empty truncates the file if it is a regular file the import did not
// create; a device or a pipe (/dev/null, a FIFO) is written as it is.
func (r *rejectsFile) empty() error {
	if r.created {
		return nil
	}
	st, err := r.f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return err
	}
	return r.f.Truncate(0)
}

// close ends the file after the import, which succeeded if ok. A successful
// import leaves its rejected lines, or an empty file when it rejected none
// (an earlier run's lines are gone). A failed one leaves the lines it
// rejected before failing, if any; else the path as it was: the file it
// created is removed, an existing one is untouched.
func (r *rejectsFile) close(ok bool) error {
	var err error
	if ok && !r.written {
		err = r.empty()
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if !ok && !r.written && r.created {
		os.Remove(r.name)
	}
	if err != nil {
		return fmt.Errorf("rejects file: %w", err)
	}
	return nil
}

// rejectsShown is how many rejected lines an import without -rejects
// prints.
const rejectsShown = 20

// rejectsHead keeps the first rejectsShown rejected lines of an import
// without -rejects, and counts the others, so that they are printed once
// the import is over: on a terminal, the progress bar draws on stderr
// meanwhile, and a national file may reject thousands of lines, which a
// cron job's mail or a terminal should not scroll through.
type rejectsHead struct {
	head  []byte
	lines int // the complete lines written
}

// Write keeps what belongs to the first rejectsShown lines of p.
func (h *rejectsHead) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		line, rest, found := bytes.Cut(p, []byte{'\n'})
		if h.lines < rejectsShown {
			h.head = append(h.head, line...)
			if found {
				h.head = append(h.head, '\n')
			}
		}
		if found {
			h.lines++
		}
		p = rest
	}
	return n, nil
}

// print writes the lines kept to w, and how many others there were, if
// any.
func (h *rejectsHead) print(w io.Writer) {
	w.Write(h.head)
	if more := h.lines - rejectsShown; more > 0 {
		fmt.Fprintf(w, "… and %d more rejected lines: -rejects FILE writes them all\n", more)
	}
}
