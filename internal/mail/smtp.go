package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Settings are where and how e-mail leaves: SMTP_URL parsed.
//
//	smtp://user:pass@host:587     STARTTLS, required (default port 587)
//	smtps://user:pass@host:465    TLS from the first byte (default port 465)
//	smtp://127.0.0.1:1025?starttls=none
//	                              no TLS: only to a loopback host (Mailpit
//	                              on a laptop), never across a network
type Settings struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS is smtps://; otherwise STARTTLS is mandatory unless NoTLS.
	ImplicitTLS bool
	NoTLS       bool
}

// ParseURL reads SMTP_URL.
func ParseURL(raw string) (Settings, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Settings{}, errors.New("must be smtp://user:pass@host:port or smtps://…")
	}
	s := Settings{Host: u.Hostname(), Username: u.User.Username()}
	s.Password, _ = u.User.Password()
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return Settings{}, errors.New("must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)")
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port < 1 || s.Port > 65535 {
			return Settings{}, errors.New("has a port that is not a number from 1 to 65535")
		}
	}
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return Settings{}, fmt.Errorf("has an unknown option %q (only starttls=none)", k)
		}
	}
	switch q.Get("starttls") {
	case "":
	case "none":
		if s.ImplicitTLS {
			return Settings{}, errors.New("starttls=none makes no sense with smtps://")
		}
		if !loopback(s.Host) {
			return Settings{}, errors.New("starttls=none is allowed only to a loopback host (a local Mailpit): credentials and mail would cross the network in clear")
		}
		s.NoTLS = true
	default:
		return Settings{}, errors.New("starttls must be none or absent")
	}
	return s, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String is the URL without its password, for logs.
func (s Settings) String() string {
	scheme := "smtp"
	if s.ImplicitTLS {
		scheme = "smtps"
	}
	user := ""
	if s.Username != "" {
		user = s.Username + ":***@"
	}
	tail := ""
	if s.NoTLS {
		tail = "?starttls=none"
	}
	return fmt.Sprintf("%s://%s%s%s", scheme, user, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), tail)
}

// Sender sends e-mail over SMTP.
type Sender struct {
	settings Settings
	from     string
	timeout  time.Duration
}

// NewSender returns a sender through settings from the address from
// ("Shop <orders@example.com>" or a bare address). timeout bounds one
// connection's every step (default 30s).
func NewSender(settings Settings, from string, timeout time.Duration) *Sender {
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return &Sender{settings: settings, from: from, timeout: timeout}
}

func (s *Sender) client() (*gomail.Client, error) {
	st := s.settings
	opts := []gomail.Option{gomail.WithPort(st.Port), gomail.WithTimeout(s.timeout)}
	switch {
	case st.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case st.NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if st.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(st.Username), gomail.WithPassword(st.Password))
	}
	return gomail.NewClient(st.Host, opts...)
}

// Send sends msg to recipients with the given Message-ID (no angle brackets).
func (s *Sender) Send(ctx context.Context, to []string, messageID string, msg Message) error {
	m := gomail.NewMsg()
	if err := m.From(s.from); err != nil {
		return Permanent(fmt.Errorf("MAIL_FROM: %w", err))
	}
	if err := m.To(to...); err != nil {
		return Permanent(fmt.Errorf("recipient: %w", err))
	}
	m.Subject(msg.Subject)
	m.SetMessageIDWithValue(messageID)
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	c, err := s.client()
	if err != nil {
		return Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return c.DialAndSendWithContext(ctx, m)
}

// Check connects, says EHLO, starts TLS as configured and authenticates,
// then says QUIT: what `stripeshop doctor` asks of the SMTP server.
func (s *Sender) Check(ctx context.Context) error {
	c, err := s.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := c.DialWithContext(ctx); err != nil {
		return err
	}
	return c.Close()
}

// permanentError is a failure that sending again cannot mend.
type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

// Permanent marks err as one that sending again cannot mend.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether an error of Send is final: the server
// answered 5xx (a recipient or sender refused, a message rejected), or the
// message could not be built. Everything else (4xx, a refused or broken
// connection, a timeout, a TLS failure) is temporary and worth a retry.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var p permanentError
	if errors.As(err, &p) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return !se.IsTemp() && se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}
