package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stripeshop/stripeshop/internal/stripemock"
)

// stripeMockURL is a stripe-mock shared by the package's tests.
var stripeMockURL string

func TestMain(m *testing.M) {
	url, stop, err := stripemock.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "stripe-mock is required for these tests:", err)
		os.Exit(1)
	}
	stripeMockURL = url
	code := m.Run()
	stop()
	os.Exit(code)
}
