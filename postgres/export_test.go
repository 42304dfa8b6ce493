package postgres

// AppendEvent exposes appendEvent to the package's external tests.
var AppendEvent = appendEvent

// PreparedStatements is how many statement texts db keeps prepared.
func PreparedStatements(db *DB) int {
	db.stmts.mu.RLock()
	defer db.stmts.mu.RUnlock()
	return len(db.stmts.stmts)
}
