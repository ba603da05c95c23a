package main

// Static checks of the deployment files (Dockerfile, docker-compose.yml,
// deploy/, the env templates, docs/operations.md) against the code and the
// Makefile. No Docker engine runs where these tests run; where nginx,
// docker compose or systemd-analyze are installed they check the files too.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/payments"
)

// repoFile reads a file of the repository; the tests run in cmd/stripeshop.
func repoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(b)
}

var envLine = regexp.MustCompile(`^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$`)

// envFile returns the variables an env template names (set or commented out)
// and the values of those it sets.
func envFile(text string) (named map[string]bool, set map[string]string) {
	named, set = map[string]bool{}, map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		m := envLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		named[m[2]] = true
		if m[1] == "" {
			set[m[2]] = m[3]
		}
	}
	return named, set
}

// simulatorVariables are the STRIPESIM_* variables cmd/stripesim reads
// (itself and through stripesim.ConfigFromEnv).
func simulatorVariables(t *testing.T) []string {
	t.Helper()
	vars := regexp.MustCompile(`"(STRIPESIM_[A-Z_]+)"`).FindAllStringSubmatch(repoFile(t, "cmd/stripesim/main.go")+repoFile(t, "internal/stripesim/env.go"), -1)
	var out []string
	for _, m := range vars {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	if len(out) < 3 {
		t.Fatalf("found only %v in cmd/stripesim/main.go", out)
	}
	return out
}

func TestEnvTemplatesNameEveryVariable(t *testing.T) {
	known := map[string]bool{}
	for _, v := range config.Variables {
		known[v] = true
	}
	sim := simulatorVariables(t)

	t.Run(".env.example", func(t *testing.T) {
		named, set := envFile(repoFile(t, ".env.example"))
		for _, v := range append(slices.Clone(config.Variables), sim...) {
			if !named[v] {
				t.Errorf("%s is not in .env.example", v)
			}
		}
		for v := range named {
			if !known[v] && !slices.Contains(sim, v) {
				t.Errorf(".env.example names %s, which neither the server nor the simulator reads", v)
			}
		}
		// Everything is optional with make run: a copied template changes nothing.
		for v := range set {
			t.Errorf(".env.example sets %s; development settings should stay commented out", v)
		}
	})

	t.Run("deploy/stripeshop.env.example", func(t *testing.T) {
		named, set := envFile(repoFile(t, "deploy/stripeshop.env.example"))
		for _, v := range config.Variables {
			if !named[v] {
				t.Errorf("%s is not in deploy/stripeshop.env.example", v)
			}
		}
		for v := range named {
			if !known[v] {
				t.Errorf("deploy/stripeshop.env.example names %s, which the server does not read", v)
			}
		}
		cfg, err := config.Load(func(k string) string { return set[k] })
		if err != nil {
			t.Fatalf("the production template does not load: %v", err)
		}
		switch {
		case cfg.LogFormat != "json":
			t.Errorf("LOG_FORMAT = %q; want json in production", cfg.LogFormat)
		case len(cfg.TrustedProxies) != 1 || cfg.TrustedProxies[0].String() != "127.0.0.1/32":
			t.Errorf("TRUSTED_PROXIES = %v; want 127.0.0.1 (nginx on the same host)", cfg.TrustedProxies)
		case !strings.HasPrefix(cfg.AppURL, "https://"):
			t.Errorf("APP_URL = %q; want https", cfg.AppURL)
		case cfg.StripeAPIURL != "":
			t.Errorf("STRIPE_API_URL is set; it must stay unset in production")
		case cfg.Mode() != "live":
			t.Errorf("the template's key is in %s mode; it is the production template", cfg.Mode())
		case !strings.HasPrefix(cfg.HTTPAddr, "127.0.0.1:"):
			t.Errorf("HTTP_ADDR = %q; behind nginx the server should listen on loopback only", cfg.HTTPAddr)
		}
	})

	t.Run("docs/operations.md", func(t *testing.T) {
		doc := repoFile(t, "docs/operations.md")
		for _, v := range config.Variables {
			if !strings.Contains(doc, "`"+v+"`") {
				t.Errorf("docs/operations.md does not mention `%s`", v)
			}
		}
	})

	t.Run("docker-compose.yml app service", func(t *testing.T) {
		env := composeEnv(composeServices(t, repoFile(t, "docker-compose.yml"))["app"])
		for _, v := range config.Variables {
			if _, ok := env[v]; !ok {
				t.Errorf("the app service does not pass %s", v)
			}
		}
	})
}

// makeCommands returns the commands make runs for target, prerequisites first,
// with the Makefile's variables expanded; silent (@) lines are left out.
func makeCommands(t *testing.T, makefile, target string) []string {
	t.Helper()
	vars := map[string]string{}
	prereqs := map[string][]string{}
	recipes := map[string][]string{}
	assign := regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\?=|:=|=)\s*(.*)$`)
	rule := regexp.MustCompile(`^([^\s#:=][^:=]*):(?:\s+(.*))?$`)
	var current []string
	for _, line := range strings.Split(makefile, "\n") {
		if strings.HasPrefix(line, "\t") {
			for _, c := range current {
				recipes[c] = append(recipes[c], strings.TrimSpace(line))
			}
			continue
		}
		current = nil
		if m := assign.FindStringSubmatch(line); m != nil {
			vars[m[1]] = strings.TrimSpace(m[2])
		} else if m := rule.FindStringSubmatch(line); m != nil && !strings.HasPrefix(m[1], ".") {
			current = strings.Fields(m[1])
			for _, c := range current {
				prereqs[c] = strings.Fields(m[2])
			}
		}
	}
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	expand := func(s string) string {
		for range 5 {
			s = ref.ReplaceAllStringFunc(s, func(r string) string { return vars[ref.FindStringSubmatch(r)[1]] })
		}
		return s
	}
	var out []string
	seen := map[string]bool{}
	var walk func(string)
	walk = func(target string) {
		if seen[target] {
			return
		}
		seen[target] = true
		for _, p := range prereqs[target] {
			walk(p)
		}
		for _, cmd := range recipes[target] {
			if !strings.HasPrefix(cmd, "@") {
				out = append(out, strings.Join(strings.Fields(expand(cmd)), " "))
			}
		}
	}
	walk(target)
	return out
}

// dockerfile is a Dockerfile's instructions, continuation lines joined.
func dockerfile(text string) [][2]string {
	var out [][2]string
	var cur string
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		cur += trimmed
		op, args, _ := strings.Cut(cur, " ")
		out = append(out, [2]string{strings.ToUpper(op), strings.Join(strings.Fields(args), " ")})
		cur = ""
	}
	return out
}

func TestDockerfileBuildsWhatMakeBuildBuilds(t *testing.T) {
	want := makeCommands(t, repoFile(t, "Makefile"), "build")
	if len(want) < 4 || !slices.ContainsFunc(want, func(c string) bool { return strings.Contains(c, "go build") }) {
		t.Fatalf("make build runs %q; expected npm and go build commands", want)
	}
	instrs := dockerfile(repoFile(t, "Dockerfile"))
	var runs []string
	for _, in := range instrs {
		if in[0] == "RUN" {
			for _, c := range strings.Split(in[1], "&&") {
				runs = append(runs, strings.Join(strings.Fields(c), " "))
			}
		}
	}
	// make's commands must appear in the Dockerfile's RUN steps in the same
	// order (the Dockerfile may add its own, like go mod download).
	i := 0
	for _, r := range runs {
		if i < len(want) && r == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("the Dockerfile does not run `%s` (in make build's order)\nmake build: %q\nDockerfile RUN: %q", want[i], want, runs)
	}

	var froms, users, entry, cmd, health, expose []string
	copiedDist := false
	for _, in := range instrs {
		switch in[0] {
		case "FROM":
			froms = append(froms, in[1])
		case "USER":
			users = append(users, in[1])
		case "ENTRYPOINT":
			entry = append(entry, in[1])
		case "CMD":
			cmd = append(cmd, in[1])
		case "HEALTHCHECK":
			health = append(health, in[1])
		case "EXPOSE":
			expose = append(expose, in[1])
		case "COPY":
			copiedDist = copiedDist || (strings.Contains(in[1], "--from=web") && strings.Contains(in[1], "web/dist"))
		}
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(repoFile(t, "go.mod"))
	if len(froms) != 3 {
		t.Fatalf("FROM %q; want three stages (node, Go, runtime)", froms)
	}
	// Node 20 left support in April 2026; 22 and 24 are the LTS lines
	// supported today (even majors are the LTS ones).
	if m := regexp.MustCompile(`^node:(\d+)-`).FindStringSubmatch(froms[0]); m == nil || m[1] < "22" || len(m[1]) != 2 || (m[1][1]-'0')%2 != 0 {
		t.Errorf("the web stage is FROM %s; want a supported Node LTS (22 or later, even)", froms[0])
	}
	if goVersion == nil || !strings.HasPrefix(froms[1], "golang:"+goVersion[1]) {
		t.Errorf("the Go stage is FROM %s; go.mod says go %v", froms[1], goVersion)
	}
	if !strings.Contains(froms[2], "distroless/static") && !strings.HasPrefix(froms[2], "alpine") {
		t.Errorf("the runtime stage is FROM %s; want a small image", froms[2])
	}
	if !copiedDist {
		t.Errorf("the Go stage does not copy web/dist from the web stage")
	}
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1], "root") || strings.HasPrefix(users[len(users)-1], "0") {
		t.Errorf("USER %q: the runtime must not run as root", users)
	}
	if !slices.Contains(expose, "8080") {
		t.Errorf("EXPOSE %q; want 8080", expose)
	}
	if len(health) != 1 || !strings.Contains(health[0], `"health"`) {
		t.Errorf("HEALTHCHECK %q; want the binary's own health probe", health)
	}
	if len(entry) != 1 || !strings.Contains(entry[0], "/stripeshop") || len(cmd) != 1 || cmd[0] != `["serve"]` {
		t.Errorf("ENTRYPOINT %q CMD %q; want stripeshop serve", entry, cmd)
	}

	ignore := strings.Fields(repoFile(t, ".dockerignore"))
	for _, p := range []string{".git", ".env", ".data", "bin", "web/node_modules", "web/dist/*", "!web/dist/.gitkeep"} {
		if !slices.Contains(ignore, p) {
			t.Errorf(".dockerignore lacks %s", p)
		}
	}
}

// composeServices splits docker-compose.yml into its services' blocks. The
// module graph has no YAML parser, so this reads the layout the file keeps:
// two-space indentation, services as keys under `services:`.
func composeServices(t *testing.T, text string) map[string]string {
	t.Helper()
	if strings.Contains(text, "\t") {
		t.Fatal("docker-compose.yml contains a tab; YAML indentation is spaces only")
	}
	services := map[string]string{}
	in, name := false, ""
	key := regexp.MustCompile(`^  ([a-z0-9][a-z0-9_-]*):\s*$`)
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "services:"):
			in = true
		case line != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "#"):
			in, name = false, ""
		case in && key.MatchString(line):
			name = key.FindStringSubmatch(line)[1]
			services[name] = ""
		case in && name != "":
			services[name] += line + "\n"
		}
	}
	return services
}

// composeEnv reads the KEY: value lines of a service's environment mapping.
func composeEnv(block string) map[string]string {
	env := map[string]string{}
	inEnv := false
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     ") {
			inEnv = trimmed == "environment:"
			continue
		}
		if inEnv {
			if k, v, ok := strings.Cut(trimmed, ":"); ok {
				env[k] = strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
	}
	return env
}

// handledEvents are the event types checkout's apply acts on: those it
// names, and the session events it hands to sessionEvent.
func handledEvents(t *testing.T) []string {
	t.Helper()
	src := repoFile(t, "internal/checkout/events.go")
	var out []string
	for _, fn := range []string{"func (s *Service) apply(", "func sessionEvent("} {
		start := strings.Index(src, fn)
		if start < 0 {
			t.Fatalf("internal/checkout/events.go has no %s…", fn)
		}
		body := src[start:]
		body = body[:strings.Index(body, "\n}\n")]
		for _, m := range regexp.MustCompile(`"([a-z_]+(?:\.[a-z_]+)+)"`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	if len(out) < 5 {
		t.Fatalf("found only %v handled in apply", out)
	}
	return out
}

func TestComposeFile(t *testing.T) {
	text := repoFile(t, "docker-compose.yml")
	services := composeServices(t, text)
	for _, s := range []string{"db", "app", "stripesim", "stripe-cli"} {
		if _, ok := services[s]; !ok {
			t.Fatalf("docker-compose.yml has no %s service (has %v)", s, slices.Collect(maps.Keys(services)))
		}
	}
	has := func(service string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(services[service], w) {
				t.Errorf("service %s lacks %q", service, w)
			}
		}
	}
	has("db", "image: postgres:16", "pg_isready", "pgdata:/var/lib/postgresql/data", "healthcheck:")
	if !regexp.MustCompile(`(?m)^volumes:\n  pgdata:`).MatchString(text) {
		t.Errorf("the named volume pgdata is not declared")
	}
	has("app", "build: .", "depends_on:", "condition: service_healthy", "8080:8080")
	has("stripesim", "/usr/local/bin/stripesim", "12111:12111")
	has("stripe-cli", "image: stripe/stripe-cli", `profiles: ["stripe"]`, "STRIPE_API_KEY: ${STRIPE_SECRET_KEY", "- listen", "- --forward-to\n      - app:8080/webhook/stripe")
	for _, s := range []string{"db", "app", "stripesim"} {
		if strings.Contains(services[s], "profiles:") {
			t.Errorf("service %s has a profile; it belongs to the default stack", s)
		}
	}

	app, sim := composeEnv(services["app"]), composeEnv(services["stripesim"])
	for k, want := range map[string]string{
		"DATABASE_URL":          "postgres://stripeshop:stripeshop@db:5432/stripeshop?sslmode=disable",
		"STRIPE_API_URL":        "${STRIPE_API_URL-http://stripesim:12111}",
		"STRIPE_WEBHOOK_SECRET": "${STRIPE_WEBHOOK_SECRET:-" + config.SimulatorWebhookSecret + "}",
		"HTTP_ADDR":             ":8080",
	} {
		if app[k] != want {
			t.Errorf("app %s = %q; want %q", k, app[k], want)
		}
	}
	if sim["STRIPE_WEBHOOK_SECRET"] != app["STRIPE_WEBHOOK_SECRET"] {
		t.Errorf("the simulator signs with %q but the app verifies with %q", sim["STRIPE_WEBHOOK_SECRET"], app["STRIPE_WEBHOOK_SECRET"])
	}
	if sim["STRIPESIM_WEBHOOK_URL"] != "http://app:8080/webhook/stripe" || sim["STRIPESIM_ADDR"] != ":12111" {
		t.Errorf("the simulator's settings are %v", sim)
	}
	// The defaults must start the server: config.Load accepts them.
	defaults := map[string]string{}
	for k, v := range app {
		defaults[k] = defaultOf(v)
	}
	if _, err := config.Load(func(k string) string { return defaults[k] }); err != nil {
		t.Errorf("the app's defaults do not load: %v", err)
	}

	// With no .env every interpolation needs a default.
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}`).FindAllStringSubmatch(text, -1) {
		if !strings.HasPrefix(m[2], ":-") && !strings.HasPrefix(m[2], "-") {
			t.Errorf("%s has no default: compose fails or warns without a .env", m[0])
		}
	}

	// The CLI forwards exactly the events the shop handles.
	events := regexp.MustCompile(`- --events\n\s+- (\S+)`).FindStringSubmatch(services["stripe-cli"])
	if events == nil {
		t.Fatalf("stripe-cli has no --events list")
	}
	got := strings.Split(events[1], ",")
	sort.Strings(got)
	if want := handledEvents(t); !slices.Equal(got, want) {
		t.Errorf("stripe-cli forwards %v; the shop handles %v", got, want)
	}

	// Where a compose implementation is installed it validates the file
	// (no engine needed), with no .env and none of our variables set.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tool := range [][]string{{"docker", "compose"}, {"docker-compose"}} {
		name := strings.Join(tool, " ")
		t.Run(name+" config", func(t *testing.T) {
			if _, err := exec.LookPath(tool[0]); err != nil {
				t.Skipf("%s is not installed", tool[0])
			}
			if out, err := exec.Command(tool[0], append(tool[1:], "version")...).CombinedOutput(); err != nil {
				t.Skipf("%s is not available: %s", name, bytes.TrimSpace(out))
			}
			for _, profile := range []string{"", "stripe"} {
				args := append(slices.Clone(tool[1:]), "--project-directory", dir, "-f", filepath.Join(dir, "docker-compose.yml"))
				if profile != "" {
					args = append(args, "--profile", profile)
				}
				cmd := exec.Command(tool[0], append(args, "config")...)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s config (profile %q): %v\n%s", name, profile, err, stderr.String())
				}
				if w := strings.TrimSpace(stderr.String()); w != "" {
					t.Errorf("%s config (profile %q) warns: %s", name, profile, w)
				}
				for _, want := range []string{"http://stripesim:12111", config.SimulatorWebhookSecret, "app:8080/webhook/stripe"} {
					if !bytes.Contains(out, []byte(want)) {
						t.Errorf("the resolved file (profile %q) lacks %q", profile, want)
					}
				}
			}
		})
	}
}

// defaultOf is the value of a compose value with no variable set: the
// default of a ${VAR:-default} or ${VAR-default}, or the value itself.
func defaultOf(v string) string {
	if !strings.HasPrefix(v, "${") || !strings.HasSuffix(v, "}") {
		return v
	}
	s := strings.TrimSuffix(strings.TrimPrefix(v, "${"), "}")
	if _, def, ok := strings.Cut(s, ":-"); ok {
		return def
	}
	_, def, _ := strings.Cut(s, "-")
	return def
}

// block returns the text of the nginx block that opens with head.
func block(t *testing.T, conf, head string) string {
	t.Helper()
	i := strings.Index(conf, head)
	if i < 0 {
		t.Fatalf("the nginx site has no %q block", head)
	}
	depth := 0
	for j := i; j < len(conf); j++ {
		switch conf[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return conf[i : j+1]
			}
		}
	}
	t.Fatalf("the %q block is not closed", head)
	return ""
}

func TestNginxSite(t *testing.T) {
	conf := repoFile(t, "deploy/nginx/stripeshop.conf")
	var code strings.Builder // without comments
	for _, line := range strings.Split(conf, "\n") {
		line, _, _ = strings.Cut(line, "#")
		code.WriteString(line + "\n")
	}
	site := code.String()
	if strings.Count(site, "{") != strings.Count(site, "}") {
		t.Fatalf("unbalanced braces")
	}
	webhook := block(t, site, "location = /webhook/stripe {")
	for _, want := range []string{"proxy_request_buffering off;", "proxy_pass http://stripeshop;"} {
		if !strings.Contains(webhook, want) {
			t.Errorf("the webhook location lacks %q", want)
		}
	}
	if strings.Contains(site, "https://$host") {
		t.Errorf("a redirect to the Host the client sent: redirect to $server_name")
	}
	for _, bad := range []string{"rewrite", "sub_filter", "proxy_set_body", "gunzip", "return"} {
		if strings.Contains(webhook, bad) {
			t.Errorf("the webhook location has %q; the signed body must pass unchanged", bad)
		}
	}
	for _, want := range []string{
		"client_max_body_size 1m;",
		"server_tokens off;",
		"return 301 https://$server_name$request_uri;",
		"proxy_set_header Host $host;",
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
		"proxy_set_header X-Forwarded-Proto $scheme;",
		"ssl_certificate /etc/letsencrypt/live/",
		"ssl_certificate_key /etc/letsencrypt/live/",
		"listen 443 ssl",
		"proxy_read_timeout",
		"location /.well-known/acme-challenge/",
	} {
		if !strings.Contains(strings.Join(strings.Fields(site), " "), want) {
			t.Errorf("the nginx site lacks %q", want)
		}
	}
	// nginx proxies to where the production template has the server listen.
	_, set := envFile(repoFile(t, "deploy/stripeshop.env.example"))
	if up := block(t, site, "upstream stripeshop {"); !strings.Contains(up, "server "+set["HTTP_ADDR"]+";") {
		t.Errorf("the upstream is not HTTP_ADDR=%s of deploy/stripeshop.env.example:\n%s", set["HTTP_ADDR"], up)
	}

	t.Run("nginx", func(t *testing.T) { runNginx(t, conf) })
}

// runNginx loads the site into a real nginx on loopback ports, with a
// throwaway certificate, and sends a webhook through it.
func runNginx(t *testing.T, conf string) {
	if _, err := exec.LookPath("nginx"); err != nil {
		t.Skip("nginx is not installed")
	}
	dir := t.TempDir()
	writeSelfSigned(t, dir)

	var (
		mu   sync.Mutex
		got  *http.Request
		body []byte
	)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body = r, b
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer backend.Close()

	httpPort, httpsPort := freePort(t), freePort(t)
	site := conf
	for old, new := range map[string]string{
		"/etc/letsencrypt/live/shop.example.com/": dir + "/",
		"server 127.0.0.1:8080;":                  "server " + strings.TrimPrefix(backend.URL, "http://") + ";",
		"listen 80;":                              "listen 127.0.0.1:" + httpPort + ";",
		"listen 443 ssl http2;":                   "listen 127.0.0.1:" + httpsPort + " ssl http2;",
		"root /var/www/certbot;":                  "root " + dir + ";",
	} {
		if !strings.Contains(site, old) {
			t.Fatalf("the site has no %q to point at the test setup", old)
		}
		site = strings.ReplaceAll(site, old, new)
	}
	site = regexp.MustCompile(`(?m)^\s*listen \[::\].*$`).ReplaceAllString(site, "")
	user := ""
	if os.Geteuid() == 0 {
		user = "user root root;" // workers must read the temporary directory
	}
	main := fmt.Sprintf(`%s
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log;
events {}
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    include %[2]s/site.conf;
}
`, user, dir)
	for name, text := range map[string]string{"site.conf": site, "nginx.conf": main} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("nginx", "-t", "-p", dir, "-e", dir+"/error.log", "-c", dir+"/nginx.conf").CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command("nginx", "-p", dir, "-e", dir+"/error.log", "-c", dir+"/nginx.conf")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	waitListening(t, "127.0.0.1:"+httpsPort, exited, dir)

	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // the throwaway certificate
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       time.Minute,
	}
	send := func(method, url string, payload []byte, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "shop.example.com"
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	// A webhook: odd whitespace, non-ASCII and a large body must arrive byte for byte.
	payload := []byte("{\n  \"id\": \"evt_1\",  \"type\":\"checkout.session.completed\",\r\n \"note\": \"caf\u00e9 \u2713\\u0000\", \"pad\": \"" +
		strings.Repeat("x ", 200_000) + "\"}\n\n")
	resp := send(http.MethodPost, "https://127.0.0.1:"+httpsPort+"/webhook/stripe", payload, map[string]string{
		"Stripe-Signature": "t=1,v1=abc", "Content-Type": "application/json; charset=utf-8",
		"X-Forwarded-For": "198.51.100.7",
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook through nginx: %s", resp.Status)
	}
	mu.Lock()
	r, b := got, body
	mu.Unlock()
	if !bytes.Equal(b, payload) {
		t.Errorf("the webhook body changed on its way through nginx (%d bytes in, %d out)", len(payload), len(b))
	}
	for k, want := range map[string]string{
		"Stripe-Signature":  "t=1,v1=abc",
		"X-Forwarded-For":   "198.51.100.7, 127.0.0.1", // the client's claim, then the real peer on the right
		"X-Forwarded-Proto": "https",
		"X-Forwarded-Host":  "shop.example.com",
	} {
		if r.Header.Get(k) != want {
			t.Errorf("the app got %s: %q; want %q", k, r.Header.Get(k), want)
		}
	}
	if r.Host != "shop.example.com" || r.URL.Path != "/webhook/stripe" {
		t.Errorf("the app got Host %q path %q", r.Host, r.URL.Path)
	}

	if resp := send(http.MethodPost, "https://127.0.0.1:"+httpsPort+"/webhook/stripe", bytes.Repeat([]byte("x"), 1<<20+1), nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 1 MiB: %s; want 413", resp.Status)
	}
	if resp := send(http.MethodGet, "http://127.0.0.1:"+httpPort+"/admin?x=1", nil, nil); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://shop.example.com/admin?x=1" {
		t.Errorf("plain http: %s to %q; want 301 to https", resp.Status, resp.Header.Get("Location"))
	}
	if resp := send(http.MethodGet, "https://127.0.0.1:"+httpsPort+"/metrics", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics from outside: %s; want 404", resp.Status)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(closedAddr(t))
	return port
}

func waitListening(t *testing.T, addr string, exited <-chan error, dir string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // far above an idle start: only a hang reaches it
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx stopped: %v\n%s", err, log)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nginx does not listen on %s", addr)
}

// writeSelfSigned writes fullchain.pem and privkey.pem for shop.example.com into dir.
func writeSelfSigned(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "shop.example.com"},
		DNSNames:     []string{"shop.example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*pem.Block{
		"fullchain.pem": {Type: "CERTIFICATE", Bytes: der},
		"privkey.pem":   {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// unitDirectives reads a systemd unit: section → key → values in order.
func unitDirectives(text string) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	section := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			out[section] = map[string][]string{}
		default:
			if k, v, ok := strings.Cut(line, "="); ok && section != "" {
				out[section][k] = append(out[section][k], v)
			}
		}
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	text := repoFile(t, "deploy/systemd/stripeshop.service")
	unit := unitDirectives(text)
	svc := unit["Service"]
	if svc == nil {
		t.Fatal("no [Service] section")
	}
	for k, want := range map[string]string{
		"User":                    "stripeshop",
		"EnvironmentFile":         "/etc/stripeshop/stripeshop.env",
		"ExecStart":               "/usr/local/bin/stripeshop serve",
		"Restart":                 "on-failure",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"SystemCallFilter":        "@system-service",
		"SystemCallArchitectures": "native",
		"MemoryDenyWriteExecute":  "yes",
		"RestrictNamespaces":      "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectControlGroups":    "yes",
	} {
		if vs := svc[k]; len(vs) == 0 || vs[0] != want {
			t.Errorf("[Service] %s=%q; want %q", k, vs, want)
		}
	}
	// serve drains for 25 s after SIGTERM; systemd must wait longer than that.
	if d, err := time.ParseDuration(strings.Join(svc["TimeoutStopSec"], "")); err != nil || d <= 25*time.Second {
		t.Errorf("TimeoutStopSec=%q; want more than the 25 s serve drains for", svc["TimeoutStopSec"])
	}
	if got := unit["Install"]["WantedBy"]; !slices.Equal(got, []string{"multi-user.target"}) {
		t.Errorf("[Install] WantedBy=%q", got)
	}

	t.Run("systemd-analyze verify", func(t *testing.T) {
		if _, err := exec.LookPath("systemd-analyze"); err != nil {
			t.Skip("systemd-analyze is not installed")
		}
		// verify wants ExecStart to exist: any executable stands in for the binary.
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "stripeshop.service")
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "/usr/local/bin/stripeshop", self)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	})
}

func TestOperationsGuide(t *testing.T) {
	doc := repoFile(t, "docs/operations.md")
	if !strings.Contains(doc, "API version **"+payments.APIVersion+"**") {
		t.Errorf("the guide does not say to create the endpoint at API version %s", payments.APIVersion)
	}
	for _, ev := range handledEvents(t) {
		if !strings.Contains(doc, "`"+ev+"`") {
			t.Errorf("the guide does not list the event type %s", ev)
		}
	}
	// Every metric the guide alerts on exists.
	var src strings.Builder
	_ = filepath.WalkDir(filepath.Join("..", "..", "internal"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, _ := os.ReadFile(path)
			src.Write(b)
		}
		return nil
	})
	metrics := regexp.MustCompile(`\bstripeshop_[a-z_]+\b`).FindAllString(doc, -1)
	if len(metrics) < 5 {
		t.Fatalf("the guide names only %v", metrics)
	}
	for _, m := range metrics {
		name := regexp.MustCompile(`_(bucket|count|sum)$`).ReplaceAllString(m, "")
		if !strings.Contains(src.String(), `"`+name+`"`) {
			t.Errorf("the guide names the metric %s, which no code registers", m)
		}
	}
	for _, path := range regexp.MustCompile("`(deploy/[^` ]+|\\.env\\.example|\\.dockerignore|docker-compose\\.yml|Dockerfile)`").FindAllStringSubmatch(doc, -1) {
		if _, err := os.Stat(filepath.Join("..", "..", path[1])); err != nil {
			t.Errorf("the guide refers to %s: %v", path[1], err)
		}
	}
}
