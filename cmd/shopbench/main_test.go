package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as shopbench's baseline children,
// as the real binary does.
func TestMain(m *testing.M) {
	if kind := os.Getenv(childEnv); kind != "" {
		os.Exit(childMain(kind))
	}
	os.Exit(m.Run())
}
