package postgres

import "context"

// Sessions is the admin sessions table. scs's pgx store reads and writes
// it; this store only sweeps what has expired.
type Sessions struct{ db DBTX }

// NewSessions returns the sessions store over db.
func NewSessions(db DBTX) *Sessions { return &Sessions{db: db} }

// DeleteExpired removes the expired sessions and reports how many went.
func (s *Sessions) DeleteExpired(ctx context.Context) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expiry < now()`)
	if err != nil {
		return 0, translate(err)
	}
	return tag.RowsAffected(), nil
}
