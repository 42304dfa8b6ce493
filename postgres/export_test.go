package postgres

// AppendEvent exposes appendEvent to the package's external tests.
var AppendEvent = appendEvent
