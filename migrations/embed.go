// Package migrations embeds the numbered golang-migrate files so the binary
// carries its own schema.
package migrations

import "embed"

// FS holds every *.sql migration.
//
//go:embed *.sql
var FS embed.FS
