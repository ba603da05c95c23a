// Package reliability holds stripeshop's fault and attack tests: a TCP
// proxy of their own between the server and Postgres that drops, stalls or
// resets connections; Stripe faults through the simulator and an HTTP proxy
// that loses answers; kill -9 of the real binary in the middle of a stream
// of payments; webhook duplicates and reorderings across two server
// processes; and a seeded randomized run. After each one the stock
// invariant is checked: for every product, the initial stock equals the
// units available, plus those held by pending and processing orders, plus
// those sold (paid or refunded).
//
// The tests are short by default so they fit in `go test ./...`;
// STRIPESHOP_SOAK=1 makes them long (STRIPESHOP_SOAK_DURATION, default 5m,
// sets the randomized run's length) and STRIPESHOP_SEED replays a
// randomized run. docs/reliability.md has the table of faults and the
// figures of the last run.
package reliability
