package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// As a child of the test, the test binary plays devrun: it starts a
// stand-in server the way devrun starts its server and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("DEVRUN_TEST_PARENT") == "1" {
		child := exec.Command("sleep", "600")
		if err := startChild(child); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(child.Process.Pid)
		select {}
	}
	os.Exit(m.Run())
}

// alive reports whether pid runs (a zombie nobody reaped does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// Closing the terminal, or kill -9 of `make run`, used to leave the server
// running under PID 1, holding the port. The server now dies with devrun.
func TestServerDiesWithDevrun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux ties a child's life to its parent's")
	}
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), "DEVRUN_TEST_PARENT=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		_ = parent.Process.Kill()
		t.Fatalf("the stand-in devrun said %q: %v %v", line, err, perr)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if !alive(pid) {
		t.Fatalf("the stand-in server %d is not running", pid)
	}
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	deadline := time.Now().Add(time.Minute)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the server %d outlived devrun by a minute", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A port still held by the server of an earlier run is named as such,
// with the pid to stop, instead of the server failing later with
// "address already in use".
func TestStaleServerHoldingThePortIsNamed(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if err := portFree(addr); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("a taken port: %v, want it named", err)
	}
	stale := exec.Command("sleep", "600")
	if err := stale.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stale.Process.Kill(); _ = stale.Wait() }()
	if err := os.WriteFile(serverPIDFile, []byte(strconv.Itoa(stale.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = portFree(addr)
	if err == nil || !strings.Contains(err.Error(), "earlier `make run` (pid "+strconv.Itoa(stale.Process.Pid)+")") {
		t.Fatalf("a port held by an earlier run's server: %v, want its pid named", err)
	}
	ln.Close()
	if err := portFree(addr); err != nil {
		t.Fatalf("a free port: %v", err)
	}
}

func TestSimulatorNamesTheShop(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"SHOP_NAME": " Camp Coffee Co. "}, "Camp Coffee Co."},
		{map[string]string{"SHOP_NAME": "Camp Coffee Co.", "STRIPESIM_MERCHANT_NAME": "Other Ltd"}, "Other Ltd"},
	} {
		if got := merchantName(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: merchant %q, want %q", tc.env, got, tc.want)
		}
	}
}
