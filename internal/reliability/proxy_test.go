package reliability

import (
	"net"
	"sync"
	"testing"
	"time"
)

// faultMode is what the proxy does to the connection between the server
// and Postgres.
type faultMode int

const (
	pass  faultMode = iota // forward bytes both ways
	reset                  // reset every connection (RST) and every new one
	drop                   // close every connection (FIN) and every new one
	stall                  // hold every byte until healed: the database hangs
)

func (m faultMode) String() string {
	return [...]string{"pass", "reset", "drop", "stall"}[m]
}

// tcpProxy sits between the server's pool and Postgres.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	mode   faultMode
	healed chan struct{} // closed when the mode goes back to pass
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup

	// figures
	accepted, killed int
}

func newTCPProxy(t testing.TB, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, healed: make(chan struct{})}
	close(p.healed)
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		mode := p.mode
		p.mu.Unlock()
		switch mode {
		case reset:
			hardClose(c)
			continue
		case drop:
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.pipe(c)
	}
}

func (p *tcpProxy) pipe(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns[client] = struct{}{}
	p.conns[server] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	copyGated := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				p.gate()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}
	go copyGated(server, client)
	go copyGated(client, server)
	<-done
	client.Close()
	server.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// gate blocks while the proxy stalls.
func (p *tcpProxy) gate() {
	p.mu.Lock()
	ch := p.healed
	p.mu.Unlock()
	<-ch
}

// cut starts a fault: reset and drop end every open connection now and
// every new one until heal; stall freezes them all.
func (p *tcpProxy) cut(m faultMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case m == stall && p.mode != stall:
		p.healed = make(chan struct{})
	case m != stall && p.mode == stall:
		close(p.healed)
	}
	p.mode = m
	if m == stall {
		return
	}
	for c := range p.conns {
		if m == reset {
			hardClose(c)
		} else {
			c.Close()
		}
		p.killed++
	}
}

// heal lets traffic through again. A stalled connection resumes where it
// stopped, as after a network hiccup.
func (p *tcpProxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == stall {
		close(p.healed)
	}
	p.mode = pass
}

func (p *tcpProxy) close() {
	p.heal()
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// hardClose ends a TCP connection with a reset instead of a FIN.
func hardClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}
