package httpapi_test

import (
	"context"
	"testing"
)

// Issue 12.7: an admin deleted by plain SQL kept their session for up to
// 12 hours. It must be refused at once.
func TestSessionOfADeletedAdminIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.admin()
	a.MustDo("GET", "/api/admin/orders", nil, 200, nil)
	if _, err := e.Pool.Exec(context.Background(), `DELETE FROM admins WHERE email = $1`, adminEmail); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/admin/orders", "/api/admin/me"} {
		if r := a.Do("GET", path, nil); r.Status != 401 || r.ErrorCode() != "unauthorized" {
			t.Errorf("GET %s in the session of a deleted admin: %d %s, want 401", path, r.Status, r.Body)
		}
	}
}

func TestChangePasswordEndsTheOtherSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	here, elsewhere := e.Login(t), e.Login(t)
	const newPassword = "a brand new passphrase"

	for _, c := range []struct {
		body  map[string]string
		field string
	}{
		{map[string]string{"current_password": "not the password", "new_password": newPassword}, "current_password"},
		{map[string]string{"current_password": "", "new_password": newPassword}, "current_password"},
		{map[string]string{"current_password": adminPassword, "new_password": "too short"}, "new_password"},
		{map[string]string{"current_password": adminPassword, "new_password": ""}, "new_password"},
	} {
		r := here.Do("POST", "/api/admin/password", c.body)
		if r.Status != 400 || r.ErrorCode() != "invalid" || r.Fields()[c.field] == "" {
			t.Errorf("change password with %v: %d %s, want 400 naming %s", c.body, r.Status, r.Body, c.field)
		}
	}
	elsewhere.MustDo("GET", "/api/admin/me", nil, 200, nil) // refusals end nothing

	here.MustDo("POST", "/api/admin/password", map[string]string{"current_password": adminPassword, "new_password": newPassword}, 204, nil)
	here.MustDo("GET", "/api/admin/me", nil, 200, nil)
	here.MustDo("GET", "/api/admin/orders", nil, 200, nil)
	if r := elsewhere.Do("GET", "/api/admin/orders", nil); r.Status != 401 {
		t.Fatalf("another session after the password changed: %d, want 401", r.Status)
	}
	e.client().MustDo("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": adminPassword}, 401, nil)
	e.client().MustDo("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": newPassword}, 200, nil)
	// The session that changed the password can change it again.
	here.MustDo("POST", "/api/admin/password", map[string]string{"current_password": newPassword, "new_password": adminPassword}, 204, nil)
}

func TestSignOutEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	here, elsewhere := e.Login(t), e.Login(t)
	here.MustDo("POST", "/api/admin/logout-everywhere", nil, 204, nil)
	for name, c := range map[string]*client{"this session": here, "another session": elsewhere} {
		if r := c.Do("GET", "/api/admin/me", nil); r.Status != 401 {
			t.Errorf("%s after signing out everywhere: %d, want 401", name, r.Status)
		}
	}
	e.Login(t).MustDo("GET", "/api/admin/orders", nil, 200, nil) // a new session is fine
}

// What `stripeshop admin passwd` and `admin remove` do ends the sessions
// at once, on a server that did not do it.
func TestSessionsEndWhenTheCommandLineChangesTheAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a := e.Login(t)
	if err := e.Auth.SetPassword(ctx, adminEmail, "set from the command line"); err != nil {
		t.Fatal(err)
	}
	if r := a.Do("GET", "/api/admin/orders", nil); r.Status != 401 {
		t.Fatalf("a session after admin passwd: %d, want 401", r.Status)
	}
	a = e.Client(t)
	var id struct {
		CSRFToken string `json:"csrf_token"`
	}
	a.MustDo("POST", "/api/admin/login", map[string]string{"email": adminEmail, "password": "set from the command line"}, 200, &id)
	a.CSRF = id.CSRFToken
	a.MustDo("GET", "/api/admin/orders", nil, 200, nil)
	if err := e.Auth.CreateAdmin(ctx, "other@example.com", adminPassword); err != nil {
		t.Fatal(err)
	}
	if err := e.Auth.RemoveAdmin(ctx, adminEmail); err != nil {
		t.Fatal(err)
	}
	if r := a.Do("GET", "/api/admin/orders", nil); r.Status != 401 {
		t.Fatalf("a session after admin remove: %d, want 401", r.Status)
	}
}
