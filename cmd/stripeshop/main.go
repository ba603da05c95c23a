// Command stripeshop serves the shop and manages its database and admins.
//
//	stripeshop serve [--seed-demo]
//	stripeshop migrate up|down|version
//	stripeshop admin create --email you@example.com   (password from stdin or a prompt)
//	stripeshop admin passwd --email you@example.com   (the same; ends the admin's sessions)
//	stripeshop admin list | remove --email …
//	stripeshop doctor                                 (check the configuration against the environment)
//	stripeshop health [--url …]                       (container health probe)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/joho/godotenv"
)

func main() {
	// A .env in the working directory fills in what the environment lacks.
	if err := godotenv.Load(); err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "stripeshop: reading .env:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stripeshop:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  stripeshop serve [--seed-demo]     serve the shop (migrations applied at start-up)
  stripeshop migrate up|down|version manage the database schema
  stripeshop admin create --email E  add an admin (password read from stdin)
  stripeshop admin passwd --email E  set an admin's password (read from stdin); their sessions end
  stripeshop admin list              list the admins: email and creation date
  stripeshop admin remove --email E  delete an admin (never the last one); their sessions end
  stripeshop doctor                  check the configuration against the database and Stripe
  stripeshop health [--url URL]      exit 0 when the server answers /healthz (container health check)`

// run is the whole program, reusable by tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], getenv, stdout)
	case "admin":
		return adminCmd(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "doctor", "health":
		return doctorCmd(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
