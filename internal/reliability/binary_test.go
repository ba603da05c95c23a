package reliability

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/shoptest"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	// Build the binary while the in-process tests run (not when only
	// listing the tests, as make test-fuzz does).
	if l := flag.Lookup("test.list"); l == nil || l.Value.String() == "" {
		go binOnce.Do(buildBinary)
	}
	code := m.Run()
	binOnce.Do(func() {}) // waits for a build still running
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// stripeshopBinary builds cmd/stripeshop once per test run: the crash and
// two-process tests run the real binary, as production does.
func stripeshopBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(buildBinary)
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func buildBinary() {
	binDir, binErr = os.MkdirTemp("", "stripeshop-reliability-")
	if binErr != nil {
		return
	}
	binPath = filepath.Join(binDir, "stripeshop")
	out, err := exec.Command("go", "build", "-o", binPath, "github.com/stripeshop/stripeshop/cmd/stripeshop").CombinedOutput()
	if err != nil {
		binErr = fmt.Errorf("go build ./cmd/stripeshop: %v\n%s", err, out)
	}
}

// proc is one stripeshop process. Restarting it keeps its address, so the
// simulator's webhooks find it again.
type proc struct {
	t    testing.TB
	w    *world
	addr string
	url  string
	env  []string
	dir  string
	cmd  *exec.Cmd
	logs *shoptest.LogBuffer // every incarnation's stderr and stdout
	done chan struct{}
}

func (w *world) startProc(t testing.TB, extraEnv ...string) *proc {
	t.Helper()
	stripeshopBinary(t)
	addr := freeAddr(t)
	p := &proc{t: t, w: w, addr: addr, url: "http://" + addr, dir: t.TempDir(), logs: &shoptest.LogBuffer{}}
	p.env = append([]string{
		"DATABASE_URL=" + w.dbURL,
		"HTTP_ADDR=" + addr,
		"APP_URL=" + p.url,
		"STRIPE_SECRET_KEY=" + w.key,
		"STRIPE_WEBHOOK_SECRET=" + w.secret,
		"STRIPE_API_URL=" + w.simURL,
		"ADMIN_EMAIL=" + shoptest.AdminEmail,
		"ADMIN_PASSWORD=" + shoptest.AdminPassword,
		"LOG_LEVEL=debug",
		"LOG_FORMAT=json",
		"RECONCILE_INTERVAL=1s",
		"CHECKOUT_RATE_LIMIT=0", // every shopper of the tests comes from 127.0.0.1
		"CHECKOUT_MAX_UNITS_PER_CLIENT=0",
		"HOME=" + p.dir,
	}, extraEnv...)
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proc) start() {
	p.t.Helper()
	p.cmd = exec.Command(binPath, "serve")
	p.cmd.Env = p.env
	p.cmd.Dir = p.dir // no stray .env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(p.cmd, p.done)
	if err := waitReady(p.url, 200, waitBound); err != nil {
		p.t.Fatalf("stripeshop did not start: %v\n%s", err, p.logs.String())
	}
}

// kill9 ends the process at once, as a crash or an OOM kill would.
func (p *proc) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill9()
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
