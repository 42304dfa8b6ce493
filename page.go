package maillage

// MaxPageSize is the largest page a list may return; asking for more is a
// BAD_USER_INPUT error, never a silent truncation.
const MaxPageSize = 100

// DefaultPageSize is the page size when the caller gives none.
const DefaultPageSize = 20

// PageArgs asks for one page of a list: at most First items after the opaque
// cursor After ("" for the first page). Count asks for the list's total count
// too, read in the same statement as the page so both see one snapshot.
type PageArgs struct {
	First int
	After string
	Count bool
}

// Check validates the page size and fills in the default.
func (p *PageArgs) Check() error {
	switch {
	case p.First == 0:
		p.First = DefaultPageSize
	case p.First < 0: // an explicit 0 arrives as -1 (0 alone means "the default")
		return InvalidField("first", "must be between 1 and %d", MaxPageSize)
	case p.First > MaxPageSize:
		return InvalidField("first", "must be between 1 and %d, got %d", MaxPageSize, p.First)
	}
	return nil
}

// PageInfo tells where a page stands in its list (Relay connection spec).
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// EdgeCursor is an edge's opaque cursor, encoded only when read: a page is
// mostly read without its edges' cursors (a dashboard's page of 300 members
// would otherwise encode 300 of them for nothing). Embedded in an edge, it
// gives the edge its Cursor method.
type EdgeCursor struct{ encode func() string }

// NewEdgeCursor returns the cursor that encode computes when read.
func NewEdgeCursor(encode func() string) EdgeCursor { return EdgeCursor{encode} }

// Cursor returns the edge's cursor ("" for the zero EdgeCursor).
func (c EdgeCursor) Cursor() string {
	if c.encode == nil {
		return ""
	}
	return c.encode()
}
