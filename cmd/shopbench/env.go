package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/postgres"
)

const (
	benchSecret  = "whsec_shopbench_secret"
	benchKey     = "sk_test_shopbench"
	benchAppName = "shopbench"
)

// environment is what the scenarios run against: the server, the
// simulator, the database, and the processes we started.
type environment struct {
	serverURL string
	serverPID int // 0 when unknown
	simURL    string
	simPID    int
	dbURL     string
	dbName    string
	secret    string
	// serverBuild says what runs: the source tree or a prebuilt binary.
	serverBuild string
	// serverPoolMax is the most database connections the server's pool
	// opens (pgxpool's default unless the URL says otherwise).
	serverPoolMax int

	// serverBin and serverEnv start the server (a twin: startServerTwin).
	serverBin string
	serverEnv map[string]string

	// sim and its start-up, to start it afresh (restartSim); simEnv is
	// added to its environment at its next start (STRIPESIM_LATENCY…).
	sim      *process
	startSim func() (*process, error)
	simEnv   map[string]string

	pool  *pgxpool.Pool // ours, application_name=shopbench
	tmp   string
	procs []*process
	// dropDB drops the database we created; nil when we did not.
	dropDB func()
	// smtp takes the server's e-mails.
	smtp *smtpSink
	keep bool
}

// process is a child we started and must stop.
type process struct {
	name     string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited; err is then set
	err      error
	log      string
	stopOnce sync.Once
}

func setUp(ctx context.Context, cfg config, say func(string, ...any)) (env *environment, err error) {
	env = &environment{keep: cfg.keep}
	defer func() {
		if err != nil {
			env.tearDown(say)
		}
	}()
	if cfg.target != "" {
		env.serverURL = trimSlash(cfg.target)
		env.serverPID = cfg.serverPID
		env.simURL = trimSlash(cfg.stripeURL)
		env.dbURL = cfg.databaseURL
		env.secret = cfg.webhookSecret
		env.serverPoolMax = poolMax(cfg.databaseURL)
		if env.dbName, err = databaseName(cfg.databaseURL); err != nil {
			return env, err
		}
		env.pool, err = openPool(ctx, cfg.databaseURL)
		return env, err
	}

	env.secret = benchSecret
	if env.tmp, err = os.MkdirTemp("", "shopbench-"); err != nil {
		return env, err
	}
	// A database of our own.
	env.dbName = "shopbench_" + randomHex(6)
	admin, err := pgx.Connect(ctx, cfg.adminURL)
	if err != nil {
		return env, fmt.Errorf("shopbench needs Postgres at %s (--admin-url): %w", redact(cfg.adminURL), err)
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{env.dbName}.Sanitize())
	admin.Close(ctx)
	if err != nil {
		return env, fmt.Errorf("create database: %w", err)
	}
	env.dropDB = func() {
		c, err := pgx.Connect(context.Background(), cfg.adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{env.dbName}.Sanitize()+" WITH (FORCE)")
	}
	env.dbURL = withDatabase(cfg.adminURL, env.dbName)
	env.serverPoolMax = poolMax(env.dbURL)
	say("database %s created", env.dbName)

	// The binaries: the real server, built as users build it.
	serverBin, simBin := cfg.serverBin, filepath.Join(env.tmp, "stripesim")
	env.serverBuild = "prebuilt " + serverBin
	if serverBin == "" {
		env.serverBuild = "go build of " + sourceVersion(ctx)
		serverBin = filepath.Join(env.tmp, "stripeshop")
		say("building stripeshop and stripesim")
		if err := goBuild(ctx, serverBin, "github.com/stripeshop/stripeshop/cmd/stripeshop"); err != nil {
			return env, err
		}
	}
	if err := goBuild(ctx, simBin, "github.com/stripeshop/stripeshop/cmd/stripesim"); err != nil {
		return env, err
	}

	serverAddr, err := freeAddr()
	if err != nil {
		return env, err
	}
	simAddr, err := freeAddr()
	if err != nil {
		return env, err
	}
	env.serverURL = "http://" + serverAddr
	env.simURL = "http://" + simAddr

	env.startSim = func() (*process, error) {
		vars := map[string]string{
			"STRIPESIM_ADDR":        simAddr,
			"STRIPESIM_PUBLIC_URL":  env.simURL,
			"STRIPESIM_WEBHOOK_URL": env.serverURL + "/webhook/stripe",
			"STRIPE_WEBHOOK_SECRET": env.secret,
		}
		maps.Copy(vars, env.simEnv)
		sim, err := env.start("stripesim", simBin, nil, vars)
		if err != nil {
			return nil, err
		}
		if err := waitHTTP(ctx, env.simURL+"/_sim/webhooks", sim); err != nil {
			return nil, err
		}
		env.sim, env.simPID = sim, sim.cmd.Process.Pid
		return sim, nil
	}
	if _, err := env.startSim(); err != nil {
		return env, err
	}

	if env.smtp, err = startSMTPSink(); err != nil {
		return env, err
	}
	serverEnv := map[string]string{
		// A paid order queues its confirmation and the staff's e-mail in
		// the webhook's transaction, and a worker sends them (to a sink).
		"SMTP_URL":              env.smtp.url(),
		"MAIL_STAFF":            "staff@example.com",
		"DATABASE_URL":          env.dbURL,
		"HTTP_ADDR":             serverAddr,
		"APP_URL":               env.serverURL,
		"STRIPE_SECRET_KEY":     benchKey,
		"STRIPE_WEBHOOK_SECRET": env.secret,
		"STRIPE_API_URL":        env.simURL,
		// Production's log format; the reconciler stays out of the way of
		// a run (its first sweep would come after 5 minutes anyway).
		"LOG_FORMAT":         "json",
		"LOG_LEVEL":          "info",
		"RECONCILE_INTERVAL": "1h",
		// Each buyer comes from an address of its own, as a crowd does:
		// shopbench names it in X-Forwarded-For, which the server trusts
		// from the local address, so the per-client checkout limit
		// (CHECKOUT_RATE_LIMIT, default) applies to each and refuses none.
		"TRUSTED_PROXIES":     "127.0.0.1/32",
		"CHECKOUT_RATE_LIMIT": "",
		"ADMIN_EMAIL":         "",
		"ADMIN_PASSWORD":      "",
		"STRIPESHOP_PPROF":    "",
	}
	if cfg.cpuprofile != "" {
		serverEnv["STRIPESHOP_PPROF"] = "1"
	}
	env.serverBin, env.serverEnv = serverBin, serverEnv
	srv, err := env.start("stripeshop", serverBin, []string{"serve"}, serverEnv)
	if err != nil {
		return env, err
	}
	env.serverPID = srv.cmd.Process.Pid
	if err := waitHTTP(ctx, env.serverURL+"/readyz", srv); err != nil {
		return env, err
	}
	say("stripeshop (pid %d) on %s, simulator (pid %d) on %s", env.serverPID, env.serverURL, env.simPID, env.simURL)
	env.pool, err = openPool(ctx, env.dbURL)
	return env, err
}

func (env *environment) tearDown(say func(string, ...any)) {
	for i := len(env.procs) - 1; i >= 0; i-- {
		env.procs[i].stop()
	}
	env.procs = nil
	if env.smtp != nil {
		env.smtp.close()
	}
	if env.pool != nil {
		env.pool.Close()
	}
	if env.keep {
		if env.tmp != "" {
			say("kept the logs in %s and the database %s", env.tmp, env.dbName)
		}
		return
	}
	if env.dropDB != nil {
		env.dropDB()
	}
	if env.tmp != "" {
		_ = os.RemoveAll(env.tmp)
	}
}

// start runs bin with our environment plus extra, its output in a log file.
func (env *environment) start(name, bin string, args []string, extra map[string]string) (*process, error) {
	logPath := filepath.Join(env.tmp, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range extra {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Our children die with us even when we are killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, exited: make(chan struct{}), log: logPath}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	env.procs = append(env.procs, p)
	return p, nil
}

// stop asks the process to finish, then kills it after 10 seconds.
func (p *process) stop() {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// stopChild stops a process started for one run and forgets it.
func (env *environment) stopChild(p *process) {
	p.stop()
	for i, q := range env.procs {
		if q == p {
			env.procs = append(env.procs[:i], env.procs[i+1:]...)
			break
		}
	}
}

// restartSim replaces the simulator with a fresh one on the same address,
// so a run does not pay for the sessions of the runs before it. It does
// nothing to a simulator we did not start.
func (env *environment) restartSim(ctx context.Context) error {
	if env.sim == nil {
		return nil
	}
	env.stopChild(env.sim)
	env.sim = nil
	_, err := env.startSim()
	return err
}

// startBaseline starts shopbench itself as a baseline server of kind in a
// child process, so its CPU time and memory are measured apart from the
// load generator's.
func (env *environment) startBaseline(ctx context.Context, kind string) (*process, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	if env.tmp == "" {
		if env.tmp, err = os.MkdirTemp("", "shopbench-"); err != nil {
			return nil, "", err
		}
	}
	p, err := env.start("baseline-"+kind, self, nil, map[string]string{
		childEnv:       kind,
		childAddrEnv:   addr,
		childDBEnv:     env.dbURL,
		childSecretEnv: env.secret,
		childStripeEnv: env.simURL,
		childSourceEnv: env.serverURL,
	})
	if err != nil {
		return nil, "", err
	}
	u := "http://" + addr
	if err := waitHTTP(ctx, u+"/healthz", p); err != nil {
		env.stopChild(p)
		return nil, "", err
	}
	return p, u, nil
}

// startServerTwin starts a second server of the same build on the same
// database, its environment changed by extra (LOG_LEVEL=warn, say), and
// returns it with its URL; nil when we did not start the server.
func (env *environment) startServerTwin(ctx context.Context, name string, extra map[string]string) (*process, string, error) {
	if env.serverBin == "" {
		return nil, "", nil
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	vars := maps.Clone(env.serverEnv)
	maps.Copy(vars, extra)
	vars["HTTP_ADDR"], vars["APP_URL"] = addr, "http://"+addr
	p, err := env.start(name, env.serverBin, []string{"serve"}, vars)
	if err != nil {
		return nil, "", err
	}
	u := "http://" + addr
	if err := waitHTTP(ctx, u+"/readyz", p); err != nil {
		env.stopChild(p)
		return nil, "", err
	}
	return p, u, nil
}

// waitHTTP waits until url answers 200, or the process exits.
func waitHTTP(ctx context.Context, url string, p *process) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited while starting (%v); its log: %s", p.name, p.err, tail(p.log))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer %s within a minute; its log: %s", p.name, url, tail(p.log))
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// sourceVersion names the source tree being built: its commit, and
// whether it has changes not committed.
func sourceVersion(ctx context.Context) string {
	b, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "a tree outside git"
	}
	return "git " + strings.TrimSpace(string(b))
}

func goBuild(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

func openPool(ctx context.Context, dbURL string) (*pgxpool.Pool, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("application_name", benchAppName)
	u.RawQuery = q.Encode()
	return postgres.Open(ctx, u.String())
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func databaseName(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || len(u.Path) < 2 {
		return "", errors.New("--database-url must name a database")
	}
	return u.Path[1:], nil
}

// poolMax is pgxpool's MaxConns for a URL: pool_max_conns, else
// max(4, GOMAXPROCS).
func poolMax(raw string) int {
	if u, err := url.Parse(raw); err == nil {
		if n, err := strconv.Atoi(u.Query().Get("pool_max_conns")); err == nil && n > 0 {
			return n
		}
	}
	return max(4, runtime.NumCPU())
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
