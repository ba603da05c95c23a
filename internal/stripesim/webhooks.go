package stripesim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event delivery states.
const (
	statePending   = "pending"   // waiting for its next attempt
	stateDelivered = "delivered" // a 2xx answer came
	stateFailed    = "failed"    // MaxAttempts used up
	stateNotSent   = "not_sent"  // no webhook URL when it happened
)

type event struct {
	ID       string
	Type     string
	Created  time.Time
	Payload  []byte // exactly the body that is sent
	State    string
	Attempts []attempt
	Due      time.Time // next attempt, while pending

	waiters []chan struct{} // closed after the next attempt
}

// attempt is one delivery of an event, as GET /_sim/events reports it.
type attempt struct {
	At         time.Time `json:"at"`
	URL        string    `json:"url"`
	StatusCode int       `json:"status_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

// newEvent records an event about the object render draws (at the
// webhook endpoint's API version) and queues its delivery; c is the API
// request that caused it, nil for the simulator's own doing (a payment, an
// expiry by time). An event of a type the endpoint does not listen to
// (Config.EnabledEvents) is not made: it returns nil. s.mu must be held.
func (s *Server) newEvent(typ string, c *call, render func(ver string) map[string]any) *event {
	if !s.enabled(typ) {
		return nil
	}
	ev := &event{ID: newID("evt_1", 24), Type: typ, Created: s.cfg.Now(), State: stateNotSent}
	req := map[string]any{"id": nil, "idempotency_key": nil}
	if c != nil {
		req["id"], req["idempotency_key"] = c.requestID, orNil(c.idemKey)
	}
	pending := 0
	if s.webhookURL != "" {
		pending = 1
	}
	ev.Payload, _ = json.MarshalIndent(map[string]any{
		"id":               ev.ID,
		"object":           "event",
		"api_version":      s.cfg.APIVersion,
		"created":          unix(ev.Created),
		"data":             map[string]any{"object": render(s.cfg.APIVersion)},
		"livemode":         false,
		"pending_webhooks": pending,
		"request":          req,
		"type":             typ,
	}, "", "  ")
	s.events[ev.ID] = ev
	s.eventOrder = append(s.eventOrder, ev)
	if s.webhookURL != "" {
		s.enqueue(ev)
	}
	return ev
}

// events drops the nils of events not made.
func events(evs ...*event) []*event {
	return slices.DeleteFunc(evs, func(ev *event) bool { return ev == nil })
}

// enqueue makes ev due now; s.mu must be held.
func (s *Server) enqueue(ev *event) {
	ev.State, ev.Due = statePending, time.Now()
	if !slices.Contains(s.queue, ev) {
		s.queue = append(s.queue, ev)
	}
	s.kick()
}

func (s *Server) getEvent(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.events[c.r.PathValue("id")]
	if ev == nil {
		return nil, noSuch(http.StatusNotFound, "event", "id", c.r.PathValue("id"))
	}
	var out map[string]any
	if err := json.Unmarshal(ev.Payload, &out); err != nil {
		return nil, err
	}
	out["pending_webhooks"] = 0
	if ev.State == statePending {
		out["pending_webhooks"] = 1
	}
	return out, nil
}

// awaitAttempt waits until each of evs has had its next delivery attempt,
// unless delivery is paused (then they stay queued) or ctx ends.
func (s *Server) awaitAttempt(ctx context.Context, evs ...*event) {
	s.mu.Lock()
	var chans []chan struct{}
	if !s.paused {
		for _, ev := range evs {
			if ev != nil && ev.State == statePending {
				ch := make(chan struct{})
				ev.waiters = append(ev.waiters, ch)
				chans = append(chans, ch)
			}
		}
	}
	s.mu.Unlock()
	for _, ch := range chans {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-s.quit:
			return
		}
	}
}

// releaseWaiters lets everyone waiting on an attempt of ev go on; s.mu
// must be held.
func releaseWaiters(ev *event) {
	for _, ch := range ev.waiters {
		close(ch)
	}
	ev.waiters = nil
}

// deliverLoop sends queued events one at a time, oldest due first, so a
// receiver sees them in the order they happened unless one needs a retry;
// with Config.ShuffleDelivery, any of the due ones, at random, since
// Stripe does not promise an order.
func (s *Server) deliverLoop() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-s.quit:
			return
		default:
		}
		ev, wait := s.nextDue()
		if ev != nil {
			s.attempt(ev)
			continue
		}
		timer.Reset(wait)
		select {
		case <-s.quit:
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

func (s *Server) nextDue() (*event, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wait := time.Hour
	if s.paused || s.webhookURL == "" {
		return nil, wait
	}
	now := time.Now()
	var due []*event
	for _, ev := range s.queue {
		if !ev.Due.After(now) {
			if !s.cfg.ShuffleDelivery {
				return ev, 0
			}
			due = append(due, ev)
			continue
		}
		wait = min(wait, ev.Due.Sub(now))
	}
	if len(due) > 0 {
		return due[rand.IntN(len(due))], 0
	}
	return nil, wait
}

// attempt sends ev once, records the answer and schedules a retry with
// exponential backoff when it failed.
func (s *Server) attempt(ev *event) {
	s.mu.Lock()
	url, payload := s.webhookURL, ev.Payload
	s.mu.Unlock()

	start := time.Now()
	a := attempt{At: start.UTC(), URL: url}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err == nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
		req.Header.Set("Stripe-Signature", signature(payload, s.secrets, start))
		var resp *http.Response
		if resp, err = s.client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			a.StatusCode = resp.StatusCode
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
			}
		}
	}
	if err != nil && s.ctx.Err() != nil {
		// Cut short by Close: not an attempt. The event stays pending,
		// and in StateFile, for the next run.
		return
	}
	if err != nil {
		a.Error = err.Error()
	}
	a.DurationMS = time.Since(start).Milliseconds()

	s.mu.Lock()
	ev.Attempts = append(ev.Attempts, a)
	n := len(ev.Attempts)
	var retryIn time.Duration
	switch {
	case a.Error == "":
		ev.State = stateDelivered
	case n >= s.cfg.MaxAttempts:
		ev.State = stateFailed
	default:
		retryIn = s.cfg.RetryBackoff << min(n-1, 20)
		ev.Due = time.Now().Add(retryIn)
	}
	if ev.State != statePending {
		s.queue = slices.DeleteFunc(s.queue, func(e *event) bool { return e == ev })
	}
	releaseWaiters(ev)
	s.mu.Unlock()

	log := s.log.With("event", ev.ID, "type", ev.Type, "attempt", n, "url", url, "status", a.StatusCode, "duration_ms", a.DurationMS)
	switch {
	case a.Error == "":
		log.Info("stripesim webhook delivered")
	case retryIn > 0:
		log.Warn("stripesim webhook failed; will retry", "error", a.Error, "retry_in", retryIn)
	default:
		log.Error("stripesim webhook failed; giving up", "error", a.Error, "max_attempts", s.cfg.MaxAttempts)
	}
}

// signature builds a Stripe-Signature header: t=<unix>, then for each
// secret v1=<hex HMAC-SHA256 of "<unix>.<payload>">. A receiver that knows
// any one of the secrets verifies it.
func signature(payload []byte, secrets []string, t time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "t=%d", t.Unix())
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "%d.", t.Unix())
		mac.Write(payload)
		b.WriteString(",v1=" + hex.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
}

// sweepLoop expires sessions whose time has come and drops idempotency
// keys older than Stripe keeps them (24 hours).
func (s *Server) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.expireDue()
			s.mu.Lock()
			cutoff := s.cfg.Now().Add(-24 * time.Hour)
			for k, e := range s.idem {
				if e.created.Before(cutoff) {
					delete(s.idem, k)
				}
			}
			s.mu.Unlock()
		}
	}
}
