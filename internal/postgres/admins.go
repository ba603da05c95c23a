package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// Admin is a person who manages the shop.
type Admin struct {
	ID           string
	Email        string
	PasswordHash string
	// SessionEpoch moves on when the admin's sessions must end: a session
	// begun in another epoch is over.
	SessionEpoch int64
	CreatedAt    time.Time
}

// Admins stores admin accounts.
type Admins struct{ db DBTX }

// NewAdmins returns the admin store over db.
func NewAdmins(db DBTX) *Admins { return &Admins{db: db} }

const adminColumns = `id::text, email, password_hash, session_epoch, created_at`

func scanAdmin(row pgx.Row) (Admin, error) {
	var a Admin
	err := row.Scan(&a.ID, &a.Email, &a.PasswordHash, &a.SessionEpoch, &a.CreatedAt)
	return a, translate(err)
}

// ByEmail returns the admin with that email (case-insensitive).
func (s *Admins) ByEmail(ctx context.Context, email string) (Admin, error) {
	return scanAdmin(s.db.QueryRow(ctx, `SELECT `+adminColumns+` FROM admins WHERE email = $1`, normalEmail(email)))
}

// ByID returns the admin with that id; not_found when there is none (an id
// that is not a uuid included).
func (s *Admins) ByID(ctx context.Context, id string) (Admin, error) {
	if _, ok := shop.ParseID(id); !ok {
		return Admin{}, shop.Errorf(shop.ErrNotFound, "not found")
	}
	return scanAdmin(s.db.QueryRow(ctx, `SELECT `+adminColumns+` FROM admins WHERE id = $1`, id))
}

// List returns every admin, oldest first.
func (s *Admins) List(ctx context.Context) ([]Admin, error) {
	rows, err := s.db.Query(ctx, `SELECT `+adminColumns+` FROM admins ORDER BY created_at, email`)
	return collect(rows, err, scanAdmin)
}

// Create adds an admin; conflict when the email is taken.
func (s *Admins) Create(ctx context.Context, email, hash string) (Admin, error) {
	a := Admin{Email: normalEmail(email), PasswordHash: hash}
	err := s.db.QueryRow(ctx, `INSERT INTO admins (email, password_hash) VALUES ($1, $2) RETURNING id::text, created_at`,
		a.Email, hash).Scan(&a.ID, &a.CreatedAt)
	return a, translate(err)
}

// CreateFirst adds an admin only when there is none yet, and reports whether it did.
func (s *Admins) CreateFirst(ctx context.Context, email, hash string) (bool, error) {
	tag, err := s.db.Exec(ctx, `
		INSERT INTO admins (email, password_hash)
		SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM admins)
		ON CONFLICT DO NOTHING`, normalEmail(email), hash)
	if err != nil {
		return false, translate(err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetPassword replaces the password of the admin with that email and ends
// their sessions; not_found when there is no such admin.
func (s *Admins) SetPassword(ctx context.Context, email, hash string) error {
	tag, err := s.db.Exec(ctx, `UPDATE admins SET password_hash = $2, session_epoch = session_epoch + 1 WHERE email = $1`,
		normalEmail(email), hash)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return shop.Errorf(shop.ErrNotFound, "no admin with that email")
	}
	return nil
}

// ChangePassword replaces the password of the admin with that id, provided
// their sessions are still in epoch, and returns the new epoch;
// not_found when the admin is gone or the epoch has moved on (their
// sessions were ended meanwhile, the one asking included).
func (s *Admins) ChangePassword(ctx context.Context, id string, epoch int64, hash string) (int64, error) {
	err := s.db.QueryRow(ctx, `
		UPDATE admins SET password_hash = $3, session_epoch = session_epoch + 1
		WHERE id = $1 AND session_epoch = $2
		RETURNING session_epoch`, id, epoch, hash).Scan(&epoch)
	return epoch, translate(err)
}

// EndSessions moves the admin's sessions to a new epoch, which ends every
// session begun before.
func (s *Admins) EndSessions(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, `UPDATE admins SET session_epoch = session_epoch + 1 WHERE id = $1`, id)
	return translate(err)
}

// RemoveUnlessLast deletes the admin with that email, unless no other admin
// would be left (conflict); not_found when there is none. It must run in a
// transaction: it locks the table against a concurrent removal, which
// could otherwise leave no admin.
func (s *Admins) RemoveUnlessLast(ctx context.Context, email string) error {
	if err := execLater(ctx, s.db, `LOCK TABLE admins IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return err
	}
	var found bool
	var others int
	err := s.db.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM admins WHERE email = $1), (SELECT count(*) FROM admins WHERE email <> $1)`,
		normalEmail(email)).Scan(&found, &others)
	switch {
	case err != nil:
		return translate(err)
	case !found:
		return shop.Errorf(shop.ErrNotFound, "no admin with that email")
	case others == 0:
		return shop.Errorf(shop.ErrConflict, "it is the only admin; create another first")
	}
	_, err = s.db.Exec(ctx, `DELETE FROM admins WHERE email = $1`, normalEmail(email))
	return translate(err)
}

func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
