// Package mailpit runs Mailpit (pinned as a tool in go.mod), a real SMTP
// server that keeps what it receives and shows it over an HTTP API: for
// `make run` and for the tests that read what the shop sent.
package mailpit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is one running Mailpit.
type Server struct {
	bin, dir, label string
	args            []string
	// SMTPAddr is where it takes mail; URL is its web UI and API.
	SMTPAddr string
	URL      string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  *bytes.Buffer
}

// Binary builds Mailpit (once, cached by Go: the first build takes about
// 80 s) and returns its path.
func Binary(ctx context.Context) (string, error) {
	var out, errs bytes.Buffer
	find := exec.CommandContext(ctx, "go", "tool", "-n", "mailpit")
	find.Stdout, find.Stderr = &out, &errs
	if err := find.Run(); err != nil {
		return "", fmt.Errorf("build mailpit (go tool -n mailpit): %v: %s", err, errs.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// Start starts Mailpit on free loopback ports, keeping its messages in
// dir (a temporary directory when empty) so a restart keeps them; args are
// more of Mailpit's flags.
//
// Mailpit cannot say which port it bound when given port 0, so Start picks
// free ports and proves they are Mailpit's: the HTTP API answers with this
// instance's own random label, and the process is still alive after
// binding its SMTP port (a port another process took meanwhile makes
// Mailpit exit). On such a race it tries other ports.
func Start(ctx context.Context, dir string, args ...string) (*Server, error) {
	bin, err := Binary(ctx)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mailpit-"); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s := &Server{bin: bin, dir: dir, label: "stripeshop-" + hex.EncodeToString(b), args: args}
	var last error
	for range 5 {
		smtpPort, err1 := freePort()
		httpPort, err2 := freePort()
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("mailpit: no free port: %v %v", err1, err2)
		}
		s.SMTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort))
		s.URL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort))
		if last = s.Restart(ctx); last == nil {
			return s, nil
		}
	}
	return nil, last
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// SMTPURL is the shop's SMTP_URL for this Mailpit (loopback, no TLS).
func (s *Server) SMTPURL() string { return "smtp://" + s.SMTPAddr + "?starttls=none" }

// Restart starts a stopped Mailpit again on the same ports, with the
// messages it had.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	cmd := exec.Command(s.bin, "--smtp", s.SMTPAddr, "--listen", strings.TrimPrefix(s.URL, "http://"),
		"--label", s.label, "--database", filepath.Join(s.dir, "mailpit.db"), "--max", "10000",
		"--smtp-disable-rdns", "--quiet")
	cmd.Args = append(cmd.Args, s.args...)
	dieWithParent(cmd)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mailpit: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("mailpit exited: %s", out.String())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-done
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if s.ours() && smtpAnswers(s.SMTPAddr) {
			select {
			case <-done:
				return fmt.Errorf("mailpit exited: %s", out.String())
			default:
			}
			s.cmd, s.done, s.out = cmd, done, out
			return nil
		}
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("mailpit did not answer on %s and %s: %s", s.SMTPAddr, s.URL, out.String())
}

// ours says whether the HTTP API is this instance's.
func (s *Server) ours() bool {
	var info struct {
		Label string `json:"Label"`
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(s.URL + "/api/v1/webui")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(&info) == nil && info.Label == s.label
}

func smtpAnswers(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 3)
	_, err = c.Read(b)
	return err == nil && string(b) == "220"
}

// Stop stops Mailpit; its messages stay for a Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Close stops Mailpit and removes its messages.
func (s *Server) Close() {
	s.Stop()
	_ = os.RemoveAll(s.dir)
}

// Address is a mailbox in a message.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Summary is a message as Mailpit lists it.
type Summary struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	From      Address   `json:"From"`
	To        []Address `json:"To"`
	Subject   string    `json:"Subject"`
}

// Message is one message in full.
type Message struct {
	Summary
	Text string `json:"Text"`
	HTML string `json:"HTML"`
}

// Messages lists every message Mailpit holds, newest first.
func (s *Server) Messages(ctx context.Context) ([]Summary, error) {
	var out struct {
		Messages []Summary `json:"messages"`
	}
	err := s.get(ctx, "/api/v1/messages?limit=10000", &out)
	return out.Messages, err
}

// Message reads one message.
func (s *Server) Message(ctx context.Context, id string) (Message, error) {
	var m Message
	err := s.get(ctx, "/api/v1/message/"+url.PathEscape(id), &m)
	return m, err
}

func (s *Server) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
