package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/auth"
	"github.com/stripeshop/stripeshop/internal/config"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

func openDB(ctx context.Context, getenv func(string) string) (*pgxpool.Pool, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	return postgres.Open(ctx, cfg.DatabaseURL)
}

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: stripeshop migrate up|down|version")
	}
	pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		err = m.Up()
	case "down":
		err = m.Down()
	case "version":
	default:
		return fmt.Errorf("unknown migrate command %q (up, down or version)", args[0])
	}
	if err != nil {
		return err
	}
	v, dirty, err := m.Version()
	if err != nil {
		return err
	}
	latest, _ := postgres.Latest()
	fmt.Fprintf(stdout, "schema version %d (latest %d)%s\n", v, latest, map[bool]string{true: ", dirty", false: ""}[dirty])
	return nil
}

const adminUsage = `usage:
  stripeshop admin create --email E   add an admin (password read from stdin)
  stripeshop admin passwd --email E   set an admin's password (read from stdin) and end their sessions
  stripeshop admin list               every admin's email and creation date
  stripeshop admin remove --email E   delete an admin and end their sessions (never the last one)`

func adminCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(adminUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the admin's email")
	switch sub {
	case "create", "passwd", "remove":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *email == "" {
			return errors.New("--email is required")
		}
		*email = strings.ToLower(strings.TrimSpace(*email))
	case "list":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown admin command %q\n%s", sub, adminUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q\n%s", fs.Args(), adminUsage)
	}
	var password string
	if sub == "create" || sub == "passwd" {
		var err error
		if password, err = readPassword(stdin, stderr); err != nil {
			return err
		}
	}

	pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.MigrateUp(pool); err != nil {
		return err
	}
	a := auth.New(auth.Config{Pool: pool})
	switch sub {
	case "create":
		if err := a.CreateAdmin(ctx, *email, password); err != nil {
			return fieldError(err)
		}
		fmt.Fprintf(stdout, "admin %s created\n", *email)
	case "passwd":
		err := a.SetPassword(ctx, *email, password)
		if shop.ErrorCode(err) == shop.ErrNotFound {
			return fmt.Errorf("no admin has the email %s", *email)
		}
		if err != nil {
			return fieldError(err)
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions have ended\n", *email)
	case "remove":
		err := a.RemoveAdmin(ctx, *email)
		switch shop.ErrorCode(err) {
		case shop.ErrNotFound:
			return fmt.Errorf("no admin has the email %s", *email)
		case shop.ErrConflict:
			return fmt.Errorf("%s is the last admin and cannot be removed: create another first (stripeshop admin create)", *email)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "admin %s removed; their sessions have ended\n", *email)
	case "list":
		admins, err := a.Admins(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tCREATED")
		for _, ad := range admins {
			fmt.Fprintf(tw, "%s\t%s\n", ad.Email, ad.CreatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return nil
}

// readPassword reads one line from stdin (a prompt on a terminal, a pipe
// in scripts), prompting on stderr.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	fmt.Fprint(stderr, "Password (at least 12 characters): ")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	fmt.Fprintln(stderr)
	return strings.TrimRight(line, "\r\n"), nil
}

// fieldError words a validation error as one line: "password must be at
// least 12 characters".
func fieldError(err error) error {
	var se *shop.Error
	if errors.As(err, &se) && se.Fields != nil {
		for k, v := range se.Fields {
			return fmt.Errorf("%s %s", k, v)
		}
	}
	return err
}
