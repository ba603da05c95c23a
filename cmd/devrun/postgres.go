package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// localPostgres is a cluster under .data/pg that devrun started.
type localPostgres struct {
	port int
	stop func()
}

// pgBin finds a Postgres server program on PATH or in Debian's and
// Homebrew's usual places.
func pgBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin/", "/opt/homebrew/opt/postgresql*/bin/", "/usr/local/opt/postgresql*/bin/"} {
		matches, _ := filepath.Glob(pattern + name)
		if len(matches) > 0 {
			return matches[len(matches)-1], nil
		}
	}
	return "", fmt.Errorf(`%s was not found. Install the PostgreSQL server, or set DATABASE_URL to a running one:
    Debian/Ubuntu: sudo apt-get install postgresql
    macOS:         brew install postgresql@16
    or:            docker compose up -d db   (then DATABASE_URL=postgres://postgres:postgres@localhost:5432/stripeshop?sslmode=disable)`, name)
}

func startPostgres(say func(string, ...any)) (*localPostgres, error) {
	initdb, err := pgBin("initdb")
	if err != nil {
		return nil, err
	}
	pgctl, err := pgBin("pg_ctl")
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Join(dataDir, "pg"))
	if err != nil {
		return nil, err
	}
	// Postgres refuses to run as root; as root, run it as the postgres user.
	asUser := func(args ...string) *exec.Cmd { return exec.Command(args[0], args[1:]...) }
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("Postgres cannot run as root and there is no postgres user; set DATABASE_URL")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		asUser = func(args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		say("initdb %s", dir)
		if out, err := asUser(initdb, "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb: %v: %s", err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	logFile := filepath.Join(dir, "server.log")
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s", port, dir)
	if out, err := asUser(pgctl, "-D", dir, "-o", opts, "-l", logFile, "-w", "start").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pg_ctl start: %v: %s (see %s)", err, strings.TrimSpace(string(out)), logFile)
	}
	say("Postgres started on 127.0.0.1:%d (data in %s)", port, dir)
	return &localPostgres{port: port, stop: func() {
		_ = asUser(pgctl, "-D", dir, "-m", "fast", "-w", "stop").Run()
	}}, nil
}
