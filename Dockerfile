# stripeshop: the shop server and the Stripe simulator in one small image.
#
#   docker build -t stripeshop .
#   docker run --env-file stripeshop.env -p 8080:8080 stripeshop          # serve
#   docker run --env-file stripeshop.env stripeshop doctor               # check the configuration
#   docker run --entrypoint stripesim -p 12111:12111 stripeshop          # the simulator
#
# The build steps are `make build`'s, command for command
# (cmd/stripeshop/deploy_test.go checks it).

# The React app: web/dist, embedded by the Go binary.
# Node 24, an LTS line supported until April 2028 (20 left support in April 2026).
FROM node:24-bookworm-slim AS web
WORKDIR /src
COPY web/package.json web/package-lock.json web/
RUN npm ci --prefix web --no-audit --no-fund
COPY web/ web/
RUN npm run --prefix web build

# Static Go binaries with the built app embedded.
FROM golang:1.26-bookworm AS go
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist/ web/dist/
RUN CGO_ENABLED=0 go build -trimpath -o bin/stripeshop ./cmd/stripeshop
RUN CGO_ENABLED=0 go build -trimpath -o bin/stripesim ./cmd/stripesim

# Runtime: no shell, no package manager, uid 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=go /src/bin/stripeshop /src/bin/stripesim /usr/local/bin/
# Nothing is written to disk; / holds no .env, so only the environment configures it.
WORKDIR /
USER nonroot:nonroot
ENV HTTP_ADDR=:8080 \
    LOG_FORMAT=json
EXPOSE 8080
# distroless has no curl: the binary probes its own /healthz (127.0.0.1, port of HTTP_ADDR).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/stripeshop", "health"]
ENTRYPOINT ["/usr/local/bin/stripeshop"]
CMD ["serve"]
