package shop

import "strings"

// ParseID accepts an id in the form every id of ours takes, a canonical
// UUID (8-4-4-4-12 hex digits) in either case, and returns it lower-cased
// as Postgres writes it. ok is false for anything else: an id that cannot
// name a row, which the caller answers as not found.
func ParseID(s string) (id string, ok bool) {
	if len(s) != 36 {
		return "", false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}
