package main

import (
	"bufio"
	"net"
	"strings"
)

// smtpSink is an SMTP server that takes every message and keeps none: the
// server under test queues and sends its order e-mails to it, so the
// webhook scenario measures the e-mail work too, as production does it.
type smtpSink struct{ ln net.Listener }

func startSMTPSink() (*smtpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &smtpSink{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSMTP(c)
		}
	}()
	return s, nil
}

// url is the server's SMTP_URL for the sink.
func (s *smtpSink) url() string { return "smtp://" + s.ln.Addr().String() + "?starttls=none" }

func (s *smtpSink) close() { _ = s.ln.Close() }

func serveSMTP(c net.Conn) {
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(line string) bool {
		_, err := w.WriteString(line + "\r\n")
		return err == nil && w.Flush() == nil
	}
	if !reply("220 shopbench sink") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.TrimSpace(line))
		if i := strings.IndexAny(verb, " :"); i > 0 {
			verb = verb[:i]
		}
		switch verb {
		case "EHLO":
			if !reply("250-shopbench\r\n250 8BITMIME") {
				return
			}
		case "DATA":
			if !reply("354 go ahead") {
				return
			}
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			if !reply("250 taken") {
				return
			}
		case "QUIT":
			reply("221 bye")
			return
		default: // HELO, MAIL, RCPT, RSET, NOOP
			if !reply("250 ok") {
				return
			}
		}
	}
}
