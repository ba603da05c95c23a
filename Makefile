# stripeshop: `make run` serves the whole shop on http://localhost:8080,
# `make test` runs every test (Go, front end, browser).

GO        ?= go
NPM       ?= npm
BIN       := bin
GOTESTFLAGS ?= -race -count=1
# A count of inputs, not a duration: Go 1.26's fuzz coordinator can report
# "context deadline exceeded" as a failure when a -fuzztime duration ends
# while a worker is mid-call on a busy machine (golang/go#75804, fixed in Go
# 1.27); a count has no deadline to race. 3000 inputs take a few seconds for
# the slow targets (a whole HTTP request each) and well under one for the fast.
FUZZTIME  ?= 3000x

.PHONY: run build web web-deps test test-go test-fuzz test-web test-e2e lint migrate doctor docker bench soak clean

## run: the whole shop with no configuration (local Postgres and the Stripe simulator when needed)
run: web
	$(GO) run ./cmd/devrun

## build: the stripeshop binary with the web app embedded, and the simulator
build: web
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/stripeshop ./cmd/stripeshop
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/stripesim ./cmd/stripesim

web/node_modules/.package-lock.json: web/package-lock.json
	$(NPM) ci --prefix web --no-audit --no-fund
	@touch $@

web-deps: web/node_modules/.package-lock.json

WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/package.json web/vite.config.ts web/tsconfig.json

## web: the production build of the React app, embedded by the Go binary (rebuilt when its sources change)
web: web/dist/index.html

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	$(NPM) run --prefix web build

## test: every test: Go (with stripe-mock and real Postgres), front end, browser
test: web test-go test-fuzz test-web test-e2e

test-go:
	STRIPESHOP_REQUIRE_STRIPE_MOCK=1 $(GO) test $(GOTESTFLAGS) ./...

## test-fuzz: a short run of each fuzz target (longer: make test-fuzz FUZZTIME=1000000x)
test-fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

test-web: web
	$(NPM) test --prefix web
	$(NPM) run --prefix web size

test-e2e: web
	$(NPM) run --prefix web e2e

## lint: gofmt, go vet and the TypeScript check
lint: web-deps
	@test -z "$$(gofmt -l cmd internal migrations web/embed.go)" || (gofmt -l cmd internal migrations web/embed.go; exit 1)
	$(GO) vet ./...
	$(NPM) run --prefix web typecheck

## migrate: apply the migrations to DATABASE_URL (make migrate ARGS=down to roll one back)
ARGS ?= up
migrate:
	$(GO) run ./cmd/stripeshop migrate $(ARGS)

## doctor: check the configuration (.env or environment) against the database and Stripe
doctor:
	$(GO) run ./cmd/stripeshop doctor

## docker: the production image (needs a Docker engine)
docker:
	docker build -t stripeshop .

## bench: load the server against baselines measured in the same run (docs/benchmarks.md)
BENCHFLAGS ?=
bench:
	$(GO) run ./cmd/shopbench $(BENCHFLAGS)

## soak: the long fault tests (docs/reliability.md); SOAK=10m for a longer randomized run
SOAK ?= 5m
soak:
	STRIPESHOP_SOAK=1 STRIPESHOP_SOAK_DURATION=$(SOAK) $(GO) test -count=1 -timeout 60m -v -run . ./internal/reliability

clean:
	rm -rf $(BIN) web/dist/assets web/dist/index.html
