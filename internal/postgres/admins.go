package postgres

import (
	"context"
	"strings"
)

// Admin is a person who manages the shop.
type Admin struct {
	ID           string
	Email        string
	PasswordHash string
}

// Admins stores admin accounts.
type Admins struct{ db DBTX }

// NewAdmins returns the admin store over db.
func NewAdmins(db DBTX) *Admins { return &Admins{db: db} }

// ByEmail returns the admin with that email (case-insensitive).
func (s *Admins) ByEmail(ctx context.Context, email string) (Admin, error) {
	var a Admin
	err := s.db.QueryRow(ctx, `SELECT id::text, email, password_hash FROM admins WHERE email = $1`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&a.ID, &a.Email, &a.PasswordHash)
	return a, translate(err)
}

// Create adds an admin; conflict when the email is taken.
func (s *Admins) Create(ctx context.Context, email, hash string) (Admin, error) {
	a := Admin{Email: strings.ToLower(strings.TrimSpace(email)), PasswordHash: hash}
	err := s.db.QueryRow(ctx, `INSERT INTO admins (email, password_hash) VALUES ($1, $2) RETURNING id::text`,
		a.Email, hash).Scan(&a.ID)
	return a, translate(err)
}

// CreateFirst adds an admin only when there is none yet, and reports whether it did.
func (s *Admins) CreateFirst(ctx context.Context, email, hash string) (bool, error) {
	tag, err := s.db.Exec(ctx, `
		INSERT INTO admins (email, password_hash)
		SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM admins)
		ON CONFLICT DO NOTHING`, strings.ToLower(strings.TrimSpace(email)), hash)
	if err != nil {
		return false, translate(err)
	}
	return tag.RowsAffected() == 1, nil
}
