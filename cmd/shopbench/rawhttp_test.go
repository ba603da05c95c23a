package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRawConn(t *testing.T) {
	big := strings.Repeat("0123456789", 5000) // larger than net/http's buffer: sent chunked
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			_, _ = io.WriteString(w, "hello")
		case "/big":
			w.(http.Flusher).Flush() // no Content-Length: chunked
			_, _ = io.WriteString(w, big)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Got", r.Header.Get("X-Test")+" "+r.Method)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(b)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = io.WriteString(w, "bye")
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	ep, err := parseEndpoint(srv.URL + "/small?x=1")
	if err != nil || ep.path != "/small?x=1" {
		t.Fatalf("%+v %v", ep, err)
	}
	c := newRawConn(ep.addr)
	defer c.close()
	var body bytes.Buffer
	cases := []struct {
		method, path string
		req          []byte
		status       int
		body         string
	}{
		{"GET", "/small", nil, 200, "hello"},
		{"GET", "/big", nil, 200, big},
		{"POST", "/echo", []byte(`{"a":1}`), 201, `{"a":1}`},
		{"GET", "/304", nil, 304, ""},
		{"GET", "/small", nil, 200, "hello"},
	}
	for _, tc := range cases {
		status, err := c.do(tc.method, tc.path, map[string]string{"X-Test": "yes"}, tc.req, &body)
		if err != nil || status != tc.status || body.String() != tc.body {
			t.Fatalf("%s %s: %d %v, body %d bytes", tc.method, tc.path, status, err, body.Len())
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for %d keep-alive requests", n, len(cases))
	}
	if status, err := c.do("GET", "/close", nil, nil, &body); err != nil || status != 200 || body.String() != "bye" {
		t.Fatalf("close: %d %v %q", status, err, body.String())
	}
	if status, err := c.do("GET", "/small", nil, nil, &body); err != nil || status != 200 || conns.Load() != 2 {
		t.Fatalf("after a closed connection: %d %v, %d connections", status, err, conns.Load())
	}
}
