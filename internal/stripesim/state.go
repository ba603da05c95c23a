package stripesim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The simulator's state in Config.StateFile, so that a restart (of make
// run, say) does not forget the sessions the shop's open orders wait on,
// nor the payments, refunds and events not yet delivered. It is written
// whole, to a temporary file renamed over the old one, at most every
// Config.SaveInterval after a change and once more by Close; New reads
// it back. What is not kept: idempotency keys older than Stripe keeps
// them, a 3-D Secure page half done, and the pause and URL of delivery
// (Config decides them again).

// stateFormat is the version of the file's layout.
const stateFormat = 1

type stateFile struct {
	Format         int              `json:"format"`
	Sessions       []*session       `json:"sessions"` // oldest first
	PaymentIntents []*paymentIntent `json:"payment_intents"`
	Charges        []*charge        `json:"charges"`
	Refunds        []*refund        `json:"refunds"`
	Disputes       []*dispute       `json:"disputes"`
	Events         []storedEvent    `json:"events"` // oldest first
	Idempotency    []storedIdem     `json:"idempotency_keys"`
	Settlements    []settlement     `json:"settlements"` // delayed payments not settled yet
}

type storedEvent struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Created  time.Time       `json:"created"`
	State    string          `json:"state"`
	Attempts []attempt       `json:"attempts"`
	Due      time.Time       `json:"due"`
	Payload  json.RawMessage `json:"payload"`
}

type storedIdem struct {
	Scope     string    `json:"scope"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Params    string    `json:"params"`
	RequestID string    `json:"request_id"`
	Status    int       `json:"status"`
	Body      string    `json:"body"`
	Created   time.Time `json:"created"`
}

// settlement is a delayed payment waiting to succeed or fail.
type settlement struct {
	SessionID string    `json:"session_id"`
	Succeeds  bool      `json:"succeeds"`
	Due       time.Time `json:"due"` // wall clock
}

// snapshot encodes the state; s.mu must be held.
func (s *Server) snapshot() ([]byte, error) {
	st := stateFile{Format: stateFormat, Sessions: s.sessionOrder}
	for _, p := range s.paymentIntents {
		st.PaymentIntents = append(st.PaymentIntents, p)
	}
	for _, c := range s.charges {
		st.Charges = append(st.Charges, c)
	}
	for _, r := range s.refunds {
		st.Refunds = append(st.Refunds, r)
	}
	for _, d := range s.disputes {
		st.Disputes = append(st.Disputes, d)
	}
	for _, ev := range s.eventOrder {
		st.Events = append(st.Events, storedEvent{ID: ev.ID, Type: ev.Type, Created: ev.Created, State: ev.State,
			Attempts: ev.Attempts, Due: ev.Due, Payload: ev.Payload})
	}
	for scope, e := range s.idem {
		st.Idempotency = append(st.Idempotency, storedIdem{Scope: scope, Method: e.method, Path: e.path, Params: e.params,
			RequestID: e.requestID, Status: e.status, Body: string(e.body), Created: e.created})
	}
	for _, st2 := range s.settling {
		st.Settlements = append(st.Settlements, *st2)
	}
	// Maps have no order: sort what came from them, so that an unchanged
	// state encodes to the same bytes and is not written again.
	sortByID(st.PaymentIntents, func(p *paymentIntent) string { return p.ID })
	sortByID(st.Charges, func(c *charge) string { return c.ID })
	sortByID(st.Refunds, func(r *refund) string { return r.ID })
	sortByID(st.Disputes, func(d *dispute) string { return d.ID })
	sortByID(st.Idempotency, func(e storedIdem) string { return e.Scope })
	sortByID(st.Settlements, func(e settlement) string { return e.SessionID })
	return json.MarshalIndent(st, "", " ")
}

// load reads the state file, if there is one, into the empty server
// before its loops start.
func (s *Server) load() error {
	b, err := os.ReadFile(s.cfg.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%s: %w", s.cfg.StateFile, err)
	}
	if st.Format != stateFormat {
		return fmt.Errorf("%s: format %d, want %d", s.cfg.StateFile, st.Format, stateFormat)
	}
	for _, cs := range st.Sessions {
		s.addSession(cs)
		if cs.PaymentIntentID != "" {
			s.sessionsByPI[cs.PaymentIntentID] = cs
		}
	}
	for _, p := range st.PaymentIntents {
		s.paymentIntents[p.ID] = p
	}
	for _, c := range st.Charges {
		s.charges[c.ID] = c
	}
	for _, r := range st.Refunds {
		s.refunds[r.ID] = r
	}
	for _, d := range st.Disputes {
		s.disputes[d.ID] = d
	}
	for _, se := range st.Events {
		ev := &event{ID: se.ID, Type: se.Type, Created: se.Created, State: se.State, Attempts: se.Attempts,
			Due: se.Due, Payload: se.Payload}
		s.events[ev.ID] = ev
		s.eventOrder = append(s.eventOrder, ev)
		if ev.State == statePending {
			s.queue = append(s.queue, ev)
		}
	}
	for _, e := range st.Idempotency {
		s.idem[e.Scope] = &idemEntry{method: e.Method, path: e.Path, params: e.Params, requestID: e.RequestID,
			status: e.Status, body: []byte(e.Body), created: e.Created}
	}
	for _, se := range st.Settlements {
		if cs := s.sessions[se.SessionID]; cs != nil {
			s.settleLater(max(time.Until(se.Due), 0), cs.ID, se.Succeeds)
		}
	}
	s.saved = b
	return nil
}

// saveLoop writes the state when it has changed, at most every
// SaveInterval.
func (s *Server) saveLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SaveInterval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			if err := s.save(); err != nil {
				s.log.Error("stripesim: saving the state", "file", s.cfg.StateFile, "error", err)
			}
		}
	}
}

// save writes the state file if the state changed since it was last
// written: to a temporary file in the same directory, renamed over it, so
// that a crash leaves the old file or the new one, never half of one.
func (s *Server) save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	b, err := s.snapshot()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if bytes.Equal(b, s.saved) {
		return nil
	}
	dir := filepath.Dir(s.cfg.StateFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(s.cfg.StateFile)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), s.cfg.StateFile)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	s.saved = b
	return nil
}

// setAside moves an unreadable state file out of the way, so that the
// simulator can start afresh without losing it.
func setAside(path string) string {
	aside := path + ".unreadable-" + time.Now().UTC().Format("20060102T150405")
	if err := os.Rename(path, aside); err != nil {
		return ""
	}
	return aside
}

func sortByID[T any](list []T, id func(T) string) {
	slices.SortFunc(list, func(a, b T) int { return strings.Compare(id(a), id(b)) })
}
