package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// rawConn is the load generator's HTTP/1.1 client: one keep-alive
// connection per worker and target, the request written in one syscall,
// the answer parsed just enough to find its end (Content-Length, chunked,
// or the close of the connection). It costs a fraction of net/http's client
// (no per-connection goroutines, no header maps), which matters when the
// generator shares the machine's cores with the server it measures.
type rawConn struct {
	addr    string
	host    string
	conn    net.Conn
	br      *bufio.Reader
	req     []byte
	timeout time.Duration
}

// endpoint is a parsed request URL.
type endpoint struct {
	addr string // host:port
	path string // path and query
}

func parseEndpoint(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return endpoint{}, fmt.Errorf("shopbench loads http:// URLs, not %q", raw)
	}
	return endpoint{addr: u.Host, path: u.RequestURI()}, nil
}

func newRawConn(addr string) *rawConn {
	return &rawConn{addr: addr, host: addr, timeout: 30 * time.Second}
}

func (c *rawConn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn, c.br = nil, nil
	}
}

// do sends one request and reads the answer's body into body; it returns
// the status. Any error closes the connection; the next call dials again.
func (c *rawConn) do(method, path string, header map[string]string, reqBody []byte, body *bytes.Buffer) (int, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.conn, c.br = conn, bufio.NewReaderSize(conn, 32<<10)
	}
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	b := c.req[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.host...)
	b = append(b, "\r\nUser-Agent: shopbench\r\n"...)
	for k, v := range header {
		b = append(b, k...)
		b = append(b, ": "...)
		b = append(b, v...)
		b = append(b, "\r\n"...)
	}
	if reqBody != nil || method == "POST" {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(reqBody)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, reqBody...)
	c.req = b
	if _, err := c.conn.Write(b); err != nil {
		c.close()
		return 0, err
	}
	status, err := c.readResponse(method, body)
	if err != nil {
		c.close()
	}
	return status, err
}

var errMalformed = errors.New("malformed HTTP response")

func (c *rawConn) readResponse(method string, body *bytes.Buffer) (int, error) {
	body.Reset()
	line, err := c.line()
	if err != nil {
		return 0, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, errMalformed
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errMalformed
	}
	length, chunked, closing := int64(-1), false, false
	for {
		line, err := c.line()
		if err != nil {
			return 0, err
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, errMalformed
		}
		v = bytes.TrimSpace(v)
		switch {
		case asciiEqualFold(k, "content-length"):
			if length, err = strconv.ParseInt(string(v), 10, 64); err != nil || length < 0 {
				return 0, errMalformed
			}
		case asciiEqualFold(k, "transfer-encoding"):
			chunked = asciiEqualFold(v, "chunked")
		case asciiEqualFold(k, "connection"):
			closing = asciiEqualFold(v, "close")
		}
	}
	switch {
	case method == "HEAD" || status == 204 || status == 304 || status/100 == 1:
	case chunked:
		err = c.readChunked(body)
	case length >= 0:
		_, err = io.CopyN(body, c.br, length)
	default:
		_, err = body.ReadFrom(c.br)
		closing = true
	}
	if err != nil {
		return 0, err
	}
	if closing {
		c.close()
	}
	return status, nil
}

func (c *rawConn) readChunked(body *bytes.Buffer) error {
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return errMalformed
		}
		if n == 0 {
			for { // trailers, then the empty line
				line, err := c.line()
				if err != nil {
					return err
				}
				if len(line) == 0 {
					return nil
				}
			}
		}
		if _, err := io.CopyN(body, c.br, n); err != nil {
			return err
		}
		if line, err := c.line(); err != nil || len(line) != 0 {
			return errMalformed
		}
	}
}

// line reads one CRLF-terminated line without it; the slice is valid until
// the next read.
func (c *rawConn) line() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

func asciiEqualFold(b []byte, s string) bool {
	return len(b) == len(s) && strings.EqualFold(string(b), s)
}
