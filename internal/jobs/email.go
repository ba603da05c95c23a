package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/stripeshop/stripeshop/internal/mail"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// SendEmailArgs is one e-mail of an order. River keeps one job per order
// and kind in every state, completed included, so an event delivered again
// (or to another replica at the same moment) never queues a second. The
// job is the e-mail's only trace until it first runs, when it writes the
// e-mail's record (postgres.Emails.Record) under its own id: the admin
// reads a queued e-mail from these args.
type SendEmailArgs struct {
	OrderID   string         `json:"order_id" river:"unique"`
	Email     shop.EmailKind `json:"kind" river:"unique"`
	Recipient string         `json:"recipient"`
	MessageID string         `json:"message_id"`
	// EmailID names the record of a job queued before the job wrote it
	// (a release before migration 0013); 0 for the others.
	EmailID int64 `json:"email_id,omitempty"`
}

// Kind is River's name for the job.
func (SendEmailArgs) Kind() string { return "send_email" }

// InsertOpts: unique by order and kind in every state.
func (SendEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: rivertype.JobStates()}}
}

// MessageID is an e-mail's Message-ID: the same for every attempt, so a
// copy sent twice (the server took it, then the replica died before it
// recorded so) is recognisably the same message to the mail system and the
// reader's client.
func MessageID(orderID string, kind shop.EmailKind, domain string) string {
	return fmt.Sprintf("order-%s-%s@%s", orderID, kind, domain)
}

// Enabled reports whether the shop sends e-mail.
func (q *Queue) Enabled() bool { return q != nil && q.cfg.Sender != nil }

// EnqueueMail queues an order's e-mails of the given kinds in the caller's
// transaction (the one that makes the change they tell of): a rolled-back
// change sends nothing. A customer e-mail with no customer address, or a
// staff e-mail with no staff list, is not queued; one the order has queued
// already is not queued again (River's uniqueness, and the record the
// first job wrote once River has cleaned that job away). One statement,
// River's insert, with whatever the transaction has pending before it.
func (q *Queue) EnqueueMail(ctx context.Context, tx pgx.Tx, o shop.Order, kinds ...shop.EmailKind) error {
	if !q.Enabled() {
		return nil
	}
	var params []river.InsertManyParams
	for _, k := range kinds {
		if e := q.email(o, k); e.Recipient != "" {
			params = append(params, river.InsertManyParams{Args: SendEmailArgs{OrderID: o.ID, Email: k,
				Recipient: e.Recipient, MessageID: e.MessageID}})
		}
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := q.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("queue the order's e-mails: %w", err)
	}
	return nil
}

// email is the e-mail of a kind an order sends: to the customer or the
// staff (no recipient when there is none), with its Message-ID.
func (q *Queue) email(o shop.Order, k shop.EmailKind) postgres.NewEmail {
	recipient := o.CustomerEmail
	if k.Staff() {
		recipient = strings.Join(q.cfg.Staff, ", ")
	}
	return postgres.NewEmail{OrderID: o.ID, Kind: k, Recipient: recipient, MessageID: MessageID(o.ID, k, q.cfg.Domain)}
}

// Resend sends an order's e-mail again, for the admin: its job runs again
// (or a new one, once River has cleaned the old away). Its attempts go on
// counting; one that used them all gets one more (River's JobRetry).
func (q *Queue) Resend(ctx context.Context, orderID string, emailID int64) (shop.Email, error) {
	if !q.Enabled() {
		return shop.Email{}, shop.Errorf(shop.ErrConflict, "the shop sends no e-mail: SMTP_URL is not set")
	}
	emails := postgres.NewEmails(q.cfg.Pool)
	e, err := emails.Get(ctx, emailID)
	if err != nil || e.OrderID != orderID {
		return shop.Email{}, shop.Errorf(shop.ErrNotFound, "no such e-mail for this order")
	}
	if e.Status == shop.EmailQueued || e.Status == shop.EmailRetrying {
		return e, shop.Errorf(shop.ErrConflict, "the e-mail is still queued; it is sent soon")
	}
	err = pgx.BeginFunc(ctx, q.cfg.Pool, func(tx pgx.Tx) error {
		jobID, recorded, err := postgres.NewEmails(tx).Requeue(ctx, e.ID)
		switch {
		case err != nil:
			return err
		case !recorded:
			jobID = e.ID // a job that gave up before it wrote the record: the e-mail's id is its
		}
		if jobID != 0 {
			_, err := q.client.JobRetryTx(ctx, tx, jobID)
			if err == nil || !errorsIsNotFound(err) {
				return err
			}
		}
		res, err := q.client.InsertTx(ctx, tx, SendEmailArgs{OrderID: e.OrderID, Email: e.Kind,
			Recipient: e.Recipient, MessageID: e.MessageID}, nil)
		if err != nil {
			return err
		}
		if res.UniqueSkippedAsDuplicate {
			// Another job of the e-mail is kept (one queued again after
			// River cleaned the record's away, which found it sent): run it.
			if _, err := q.client.JobRetryTx(ctx, tx, res.Job.ID); err != nil {
				return err
			}
		}
		return postgres.NewEmails(tx).SetJobs(ctx, []int64{e.ID}, []int64{res.Job.ID})
	})
	if err != nil {
		return shop.Email{}, err
	}
	return emails.Get(ctx, emailID)
}

type sendEmailWorker struct {
	river.WorkerDefaults[SendEmailArgs]
	q *Queue
}

// Work renders and sends one e-mail and records what became of it. The
// e-mail is marked sent in the transaction that completes the job, so a
// replica killed between SMTP's "250 OK" and that commit is the one case
// that sends a copy: River runs the job again after RescueAfter.
func (w *sendEmailWorker) Work(ctx context.Context, job *river.Job[SendEmailArgs]) error {
	q, a := w.q, job.Args
	pool := q.cfg.Pool
	emails := postgres.NewEmails(pool)
	o, err := postgres.NewOrders(pool).Get(ctx, a.OrderID)
	if err != nil {
		return err
	}
	var e shop.Email
	if a.EmailID != 0 {
		e, err = emails.Get(ctx, a.EmailID)
	} else {
		want := postgres.NewEmail{OrderID: a.OrderID, Kind: a.Email, Recipient: a.Recipient, MessageID: a.MessageID}
		if want.Recipient == "" || want.MessageID == "" {
			want = q.email(o, a.Email)
		}
		e, err = emails.Record(ctx, job.ID, want)
	}
	if err != nil {
		return err
	}
	if e.Status == shop.EmailSent || e.Status == shop.EmailGaveUp {
		// Sent, or failed for good, by an earlier job of the e-mail (this
		// one was queued again once River had cleaned that one away): only
		// the admin's Resend, which queues the record again, sends it. The
		// record names this job, the one Resend will run.
		return emails.SetJobs(ctx, []int64{e.ID}, []int64{job.ID})
	}
	d, err := postgres.NewOrders(pool).DisputeOf(ctx, a.OrderID)
	if err != nil {
		return err
	}
	msg, err := mail.Render(a.Email, mail.NewView(q.cfg.Shop, o, d))
	if err != nil {
		_ = emails.Attempted(ctx, e.ID, job.ID, job.Attempt, shop.EmailGaveUp, err.Error())
		return river.JobCancel(err)
	}
	err = q.cfg.Sender.Send(ctx, strings.Split(e.Recipient, ", "), e.MessageID, msg)
	switch {
	case err == nil:
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if err := postgres.NewEmails(tx).Sent(ctx, e.ID, job.ID, job.Attempt); err != nil {
				return err
			}
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		})
	case mail.IsPermanent(err):
		q.log.Error("e-mail refused for good", "order_id", a.OrderID, "kind", a.Email, "err", err)
		if rerr := emails.Attempted(ctx, e.ID, job.ID, job.Attempt, shop.EmailGaveUp, err.Error()); rerr != nil {
			return rerr // retried: the failure is recorded next time
		}
		return river.JobCancel(err)
	default:
		status := shop.EmailRetrying
		if job.Attempt >= job.MaxAttempts {
			status = shop.EmailGaveUp
			q.log.Error("e-mail not sent after every attempt", "order_id", a.OrderID, "kind", a.Email, "attempts", job.Attempt, "err", err)
		} else {
			q.log.Warn("e-mail not sent; retrying", "order_id", a.OrderID, "kind", a.Email, "attempt", job.Attempt, "err", err)
		}
		if rerr := emails.Attempted(ctx, e.ID, job.ID, job.Attempt, status, err.Error()); rerr != nil {
			q.log.Warn("record an e-mail attempt", "err", rerr)
		}
		return err
	}
}

func errorsIsNotFound(err error) bool { return err != nil && errors.Is(err, rivertype.ErrNotFound) }
