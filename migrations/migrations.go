// Package migrations holds the hub's numbered SQL migrations, embedded in the
// binary and applied with goose.
//
// Numbers are reserved by area: 00001-00009 directory, identity, events and
// audit; 00010-00019 authorization; 00020-00029 ESCAP; 00030-00039 referrals;
// 00040-00049 subscriptions; 00050-00059 directory reads; 00060-00069 figures;
// 00070-00079 domain rules (issue 17); 00090-00094 the FINESS import (issue 18).
package migrations

import "embed"

// FS holds the SQL files.
//
//go:embed *.sql
var FS embed.FS
