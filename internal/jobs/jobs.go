// Package jobs runs the shop's background work on River, a job queue in
// the shop's own Postgres: the e-mails orders cause, and the periodic
// reconciler. It is the one place that starts River's client; app wires it.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/stripeshop/stripeshop/internal/mail"
)

// Defaults of the e-mail retries: 12 attempts 15s, 30s, 1m, … apart, each
// wait at most 30 minutes, so an SMTP server that is down for up to about
// 2½ hours loses no e-mail (docs/operations.md).
const (
	DefaultMaxAttempts = 12
	DefaultRetryBase   = 15 * time.Second
	maxRetryWait       = 30 * time.Minute
)

// Config holds the queue's dependencies.
type Config struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Sender is where e-mail leaves; nil means the shop sends none (no
	// SMTP_URL) and queues none.
	Sender *mail.Sender
	Shop   mail.Shop
	// Staff receive the staff e-mails; none when empty.
	Staff       []string
	MaxAttempts int
	RetryBase   time.Duration
	// RescueAfter is how long a job may run before River takes it for
	// stuck (its replica was killed mid-send) and runs it again.
	RescueAfter time.Duration
	// Periodic is the shop's recurring work (the reconciler's sweep, the
	// sweep of expired admin sessions).
	Periodic []Periodic
	// Domain is the right-hand side of the Message-IDs (APP_URL's host).
	Domain string
}

// Queue is River on the shop's database.
type Queue struct {
	client *river.Client[pgx.Tx]
	cfg    Config
	log    *slog.Logger
}

// New builds the queue; Start runs its workers.
func New(cfg Config) (*Queue, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RescueAfter == 0 {
		cfg.RescueAfter = 2 * time.Minute
	}
	q := &Queue{cfg: cfg, log: cfg.Logger}
	workers := river.NewWorkers()
	river.AddWorker(workers, &sendEmailWorker{q: q})
	pw := &periodicWorker{run: map[string]func(context.Context) error{}}
	river.AddWorker(workers, pw)
	var periodic []*river.PeriodicJob
	for _, p := range cfg.Periodic {
		pw.run[p.Name] = p.Run
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(p.Every),
			func() (river.JobArgs, *river.InsertOpts) { return PeriodicArgs{Name: p.Name}, nil },
			&river.PeriodicJobOpts{ID: p.Name}))
	}
	jobTimeout := time.Minute
	if cfg.RescueAfter <= jobTimeout {
		jobTimeout = cfg.RescueAfter / 2
	}
	client, err := river.NewClient(riverpgxv5.New(cfg.Pool), &river.Config{
		Logger:               riverLogger(cfg.Logger),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Workers:              workers,
		PeriodicJobs:         periodic,
		MaxAttempts:          cfg.MaxAttempts,
		RetryPolicy:          backoff{base: cfg.RetryBase},
		JobTimeout:           jobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	q.client = client
	return q, nil
}

// riverLogger passes on River's warnings and errors, not its chatter.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelAtLeast{l.Handler(), slog.LevelWarn}).With("component", "river")
}

type levelAtLeast struct {
	slog.Handler
	min slog.Level
}

func (h levelAtLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
func (h levelAtLeast) WithAttrs(a []slog.Attr) slog.Handler {
	return levelAtLeast{h.Handler.WithAttrs(a), h.min}
}
func (h levelAtLeast) WithGroup(n string) slog.Handler {
	return levelAtLeast{h.Handler.WithGroup(n), h.min}
}

// Start runs the workers (and, on the elected leader, the periodic jobs)
// until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop lets running jobs finish (until ctx ends) and stops.
func (q *Queue) Stop(ctx context.Context) error { return q.client.Stop(ctx) }

// Client is River's client, for the admin's view of the queue.
func (q *Queue) Client() *river.Client[pgx.Tx] { return q.client }

// backoff waits base, 2·base, 4·base, … (at most maxRetryWait) with ±10%
// jitter, so e-mails that failed together do not all retry at one instant.
type backoff struct{ base time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	wait := b.base
	for i := 1; i < job.Attempt && wait < maxRetryWait; i++ {
		wait *= 2
	}
	wait = min(wait, maxRetryWait)
	wait += time.Duration((rand.Float64() - 0.5) * 0.2 * float64(wait))
	return time.Now().Add(wait)
}

// Periodic is work that runs every Every. River's elected leader alone
// inserts it, and a job of one name is unique until it has finished, so
// one replica runs it at a time: the shop's one scheduler.
type Periodic struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// PeriodicArgs names the periodic work a job runs.
type PeriodicArgs struct {
	Name string `json:"name"`
}

// Kind is River's name for the job.
func (PeriodicArgs) Kind() string { return "periodic" }

// InsertOpts: one run of a name queued or running at a time, and a failed
// run is not retried (the next one comes soon).
func (PeriodicArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

type periodicWorker struct {
	river.WorkerDefaults[PeriodicArgs]
	run map[string]func(context.Context) error
}

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[PeriodicArgs]) error {
	run, ok := w.run[job.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("no periodic work named %q in this release", job.Args.Name))
	}
	return run(ctx)
}
