// Package auth keeps admins out or lets them in: bcrypt password hashes,
// server-side sessions in Postgres (scs with its pgx store), a CSRF token
// bound to each session, and a login rate limit per client and per account.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// Session keys.
const (
	keyAdminID = "admin_id"
	keyCSRF    = "csrf"
	// keyEpoch is the admin's session epoch when the session began: it ends
	// when the epoch moves on (postgres.Admin.SessionEpoch).
	keyEpoch = "epoch"
)

// CookieName is the admin session cookie.
const CookieName = "stripeshop_admin"

// Config tunes authentication.
type Config struct {
	Pool         *pgxpool.Pool
	SecureCookie bool
	// BcryptCost defaults to 12; tests lower it.
	BcryptCost int
	// Lifetime is the absolute limit of a session, IdleTimeout the limit
	// between two requests.
	Lifetime    time.Duration
	IdleTimeout time.Duration
	Now         func() time.Time
	// Logger hears about sweeps of expired sessions that fail.
	Logger *slog.Logger
}

// Service authenticates admins.
type Service struct {
	pool      *pgxpool.Pool
	admins    *postgres.Admins
	sessions  *scs.SessionManager
	limiter   *limiter
	cost      int
	dummyHash []byte
}

// Identity is the signed-in admin.
type Identity struct {
	Email     string `json:"email"`
	CSRFToken string `json:"csrf_token"`
}

// New returns the service. Close stops its session cleanup.
func New(cfg Config) *Service {
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = 12
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = 12 * time.Hour
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 2 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// pgxstore's own cleanup goroutine races with its StopCleanup, so expired
	// sessions are swept by the job queue's periodic job (SweepExpired).
	store := pgxstore.NewWithCleanupInterval(cfg.Pool, 0)
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = cfg.Lifetime
	sm.IdleTimeout = cfg.IdleTimeout
	sm.Cookie.Name = CookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.SecureCookie
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false
	// The store keeps a hash of each token, so a copy of the sessions table
	// (a backup, a read replica) signs no one in.
	sm.HashTokenInStore = true
	// Equalise the time of a login for an unknown email with a known one.
	dummy, _ := bcrypt.GenerateFromPassword([]byte("stripeshop-timing-equaliser"), cfg.BcryptCost)
	s := &Service{
		pool:      cfg.Pool,
		admins:    postgres.NewAdmins(cfg.Pool),
		sessions:  sm,
		limiter:   newLimiter(cfg.Now),
		cost:      cfg.BcryptCost,
		dummyHash: dummy,
	}
	return s
}

// SweepExpired deletes the expired admin sessions; the job queue runs it
// periodically, on one replica at a time.
func (s *Service) SweepExpired(ctx context.Context) error {
	_, err := postgres.NewSessions(s.pool).DeleteExpired(ctx)
	return err
}

// Sessions is the session manager; its LoadAndSave middleware wraps admin routes.
func (s *Service) Sessions() *scs.SessionManager { return s.sessions }

// HashPassword hashes a password with bcrypt.
func (s *Service) HashPassword(password string) (string, error) {
	if problem := passwordProblem(password); problem != "" {
		return "", shop.Invalid(map[string]string{"password": problem})
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	return string(h), err
}

// passwordProblem says what is wrong with a new password, or "".
func passwordProblem(p string) string {
	switch {
	case len(p) < 12:
		return "must be at least 12 characters"
	case len(p) > 72: // bcrypt reads no further
		return "must be at most 72 bytes"
	}
	return ""
}

// CreateAdmin adds an admin; conflict when the email is taken.
func (s *Service) CreateAdmin(ctx context.Context, email, password string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") || len(email) > 254 {
		return shop.Invalid(map[string]string{"email": "must be an email address"})
	}
	h, err := s.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = s.admins.Create(ctx, email, h)
	if shop.ErrorCode(err) == shop.ErrConflict {
		return shop.Errorf(shop.ErrConflict, "an admin with that email exists")
	}
	return err
}

// EnsureFirstAdmin creates the admin from ADMIN_EMAIL/ADMIN_PASSWORD when
// there is no admin yet; it reports whether it did.
func (s *Service) EnsureFirstAdmin(ctx context.Context, email, password string) (bool, error) {
	h, err := s.HashPassword(password)
	if err != nil {
		return false, err
	}
	return s.admins.CreateFirst(ctx, email, h)
}

var errLogin = shop.Errorf(shop.ErrUnauthorized, "wrong email or password")

// Login checks the credentials and, when they match, starts a fresh session
// (a new token, so a token planted before login is worthless) with a new
// CSRF token. ctx must come from a request under Sessions().LoadAndSave.
// The same message and the same bcrypt work answer an unknown email and a
// wrong password.
func (s *Service) Login(ctx context.Context, email, password, clientIP string) (Identity, error) {
	admin, err := s.verify(ctx, email, password, clientIP)
	if err != nil {
		return Identity{}, err
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return Identity{}, err
	}
	csrf := randomToken()
	s.sessions.Put(ctx, keyAdminID, admin.ID)
	s.sessions.Put(ctx, keyEpoch, admin.SessionEpoch)
	s.sessions.Put(ctx, keyCSRF, csrf)
	return Identity{Email: admin.Email, CSRFToken: csrf}, nil
}

// verify checks an admin's password within the login limits: errLogin for
// an unknown email or a wrong password, rate_limited when the client must
// wait first.
func (s *Service) verify(ctx context.Context, email, password, clientIP string) (postgres.Admin, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	try, wait, ok := s.limiter.admit(clientIP, email)
	if !ok {
		return postgres.Admin{}, &shop.Error{Code: shop.ErrRateLimited, Message: "too many login attempts; try again later", RetryAfter: wait}
	}
	admin, err := s.admins.ByEmail(ctx, email)
	if err != nil && shop.ErrorCode(err) != shop.ErrNotFound {
		s.limiter.cancel(try) // not a guess: the database failed
		return postgres.Admin{}, err
	}
	hash := s.dummyHash
	if err == nil {
		hash = []byte(admin.PasswordHash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if err != nil || !match {
		s.limiter.failed(try)
		return postgres.Admin{}, errLogin
	}
	s.limiter.succeeded(try)
	return admin, nil
}

// Logout destroys the session on the server, not only the cookie.
func (s *Service) Logout(ctx context.Context) error { return s.sessions.Destroy(ctx) }

var errNoSession = shop.Errorf(shop.ErrUnauthorized, "sign in as an admin first")

// Current returns the signed-in admin of the request's session:
// unauthorized when there is none, or when the session has ended because
// its admin was removed, changed password or signed out everywhere since
// it began. The admin is read from the database on every call, so such a
// session ends at once on every replica.
func (s *Service) Current(ctx context.Context) (Identity, error) {
	admin, err := s.current(ctx)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Email: admin.Email, CSRFToken: s.sessions.GetString(ctx, keyCSRF)}, nil
}

func (s *Service) current(ctx context.Context) (postgres.Admin, error) {
	id := s.sessions.GetString(ctx, keyAdminID)
	if id == "" {
		return postgres.Admin{}, errNoSession
	}
	admin, err := s.admins.ByID(ctx, id)
	switch {
	case shop.ErrorCode(err) == shop.ErrNotFound, err == nil && admin.SessionEpoch != s.sessions.GetInt64(ctx, keyEpoch):
		return postgres.Admin{}, s.endSession(ctx)
	case err != nil:
		return postgres.Admin{}, err
	}
	return admin, nil
}

// endSession destroys the request's session and answers unauthorized.
func (s *Service) endSession(ctx context.Context) error {
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	return shop.Errorf(shop.ErrUnauthorized, "your session has ended; sign in again")
}

// ChangePassword replaces the signed-in admin's password, given the
// current one, and ends their other sessions; this one goes on. A wrong
// current password counts against the login limits, as a failed login
// would, and is answered as a field error, not as unauthorized: the
// session is still good.
func (s *Service) ChangePassword(ctx context.Context, current, next, clientIP string) error {
	admin, err := s.current(ctx)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	if current == "" {
		fields["current_password"] = "is required"
	}
	if problem := passwordProblem(next); problem != "" {
		fields["new_password"] = problem
	}
	if len(fields) > 0 {
		return shop.Invalid(fields)
	}
	if _, err := s.verify(ctx, admin.Email, current, clientIP); err != nil {
		if shop.ErrorCode(err) == shop.ErrUnauthorized {
			return shop.Invalid(map[string]string{"current_password": "is not your current password"})
		}
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(next), s.cost)
	if err != nil {
		return err
	}
	epoch, err := s.admins.ChangePassword(ctx, admin.ID, admin.SessionEpoch, string(hash))
	if shop.ErrorCode(err) == shop.ErrNotFound { // removed, or signed out everywhere, meanwhile
		return s.endSession(ctx)
	}
	if err != nil {
		return err
	}
	s.sessions.Put(ctx, keyEpoch, epoch)
	return nil
}

// SignOutEverywhere ends every session of the signed-in admin, this one
// included.
func (s *Service) SignOutEverywhere(ctx context.Context) error {
	admin, err := s.current(ctx)
	if err != nil {
		return err
	}
	if err := s.admins.EndSessions(ctx, admin.ID); err != nil {
		return err
	}
	return s.sessions.Destroy(ctx)
}

// Admin is an admin as the command line lists them.
type Admin struct {
	Email     string
	CreatedAt time.Time
}

// Admins lists every admin, oldest first.
func (s *Service) Admins(ctx context.Context) ([]Admin, error) {
	all, err := s.admins.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Admin, len(all))
	for i, a := range all {
		out[i] = Admin{Email: a.Email, CreatedAt: a.CreatedAt}
	}
	return out, nil
}

// RemoveAdmin deletes an admin, whose sessions end with it; conflict when
// it is the last one, not_found when there is none with that email.
func (s *Service) RemoveAdmin(ctx context.Context, email string) error {
	return postgres.InTx(ctx, s.pool, func(tx *postgres.Tx) error {
		return postgres.NewAdmins(tx).RemoveUnlessLast(ctx, email)
	})
}

// SetPassword replaces an admin's password (the same rules as a new
// admin's) and ends their sessions; not_found when there is no such admin.
func (s *Service) SetPassword(ctx context.Context, email, password string) error {
	h, err := s.HashPassword(password)
	if err != nil {
		return err
	}
	return s.admins.SetPassword(ctx, email, h)
}

// CheckCSRF compares the header's token with the session's in constant time.
func (s *Service) CheckCSRF(ctx context.Context, token string) bool {
	want := s.sessions.GetString(ctx, keyCSRF)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// IsRateLimited reports whether err is a rate-limit refusal.
func IsRateLimited(err error) bool {
	var e *shop.Error
	return errors.As(err, &e) && e.Code == shop.ErrRateLimited
}
