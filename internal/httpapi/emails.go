package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stripeshop/stripeshop/internal/jobs"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// orderMail is what the admin's order view adds about e-mail: the order's
// e-mails, whether one failed for good, and the dispute, if any.
type orderMail struct {
	Emails      []shop.Email  `json:"emails"`
	EmailFailed bool          `json:"email_failed"`
	Dispute     *orderDispute `json:"dispute"`
}

type orderDispute struct {
	Reason string `json:"reason"`
	Amount int64  `json:"amount"`
}

// loadOrderMail reads an order's e-mails and dispute.
func loadOrderMail(r *http.Request, pool *pgxpool.Pool, orderID string) (orderMail, error) {
	emails, err := postgres.NewEmails(pool).ForOrder(r.Context(), orderID)
	if err != nil {
		return orderMail{}, err
	}
	m := orderMail{Emails: emails}
	for _, e := range emails {
		if e.Status == shop.EmailGaveUp {
			m.EmailFailed = true
		}
	}
	d, err := postgres.NewOrders(pool).DisputeOf(r.Context(), orderID)
	if err != nil {
		return orderMail{}, err
	}
	if d.Reason != "" || d.Amount != 0 {
		m.Dispute = &orderDispute{Reason: d.Reason, Amount: d.Amount}
	}
	return m, nil
}

func handleResendEmail(q *jobs.Queue) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		orderID, ok := shop.ParseID(chi.URLParam(r, "id"))
		emailID, err := strconv.ParseInt(chi.URLParam(r, "email_id"), 10, 64)
		if !ok || err != nil {
			return shop.Errorf(shop.ErrNotFound, "no such e-mail for this order")
		}
		e, err := q.Resend(r.Context(), orderID, emailID)
		if err != nil {
			return err
		}
		logger(r).Info("e-mail resent by admin", "order_id", orderID, "kind", e.Kind)
		return encode(w, http.StatusAccepted, e)
	})
}

// adminJob is one job of the queue, for the admin.
type adminJob struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	State       string          `json:"state"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Args        json.RawMessage `json:"args"`
	LastError   string          `json:"last_error"`
	CreatedAt   time.Time       `json:"created_at"`
	ScheduledAt time.Time       `json:"scheduled_at"`
	FinalizedAt *time.Time      `json:"finalized_at"`
}

// handleListJobs is the queue as the admin sees it: counts by state and
// the latest jobs, optionally of one state.
func handleListJobs(q *jobs.Queue, pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		params := river.NewJobListParams().First(100).OrderBy(river.JobListOrderByID, river.SortOrderDesc)
		if st := r.URL.Query().Get("state"); st != "" {
			valid := false
			for _, s := range rivertype.JobStates() {
				valid = valid || string(s) == st
			}
			if !valid {
				return shop.Invalid(map[string]string{"state": "must be a River job state (available, running, retryable, completed, cancelled, discarded, scheduled, pending)"})
			}
			params = params.States(rivertype.JobState(st))
		}
		res, err := q.Client().JobList(r.Context(), params)
		if err != nil {
			return err
		}
		out := struct {
			Counts map[string]int `json:"counts"`
			Jobs   []adminJob     `json:"jobs"`
		}{Counts: map[string]int{}, Jobs: []adminJob{}}
		for _, s := range rivertype.JobStates() {
			out.Counts[string(s)] = 0
		}
		rows, err := pool.Query(r.Context(), `SELECT state::text, count(*) FROM river_job GROUP BY state`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				st string
				n  int
			)
			if err := rows.Scan(&st, &n); err != nil {
				rows.Close()
				return err
			}
			out.Counts[st] = n
		}
		rows.Close()
		for _, j := range res.Jobs {
			aj := adminJob{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
				Args: j.EncodedArgs, CreatedAt: j.CreatedAt, ScheduledAt: j.ScheduledAt, FinalizedAt: j.FinalizedAt}
			if n := len(j.Errors); n > 0 {
				aj.LastError = j.Errors[n-1].Error
			}
			out.Jobs = append(out.Jobs, aj)
		}
		return encode(w, http.StatusOK, out)
	})
}
