package httpapi

import (
	"bytes"
	"testing"

	"github.com/stripeshop/stripeshop/internal/postgres"
)

func TestMediaCacheKeepsTheRecentWithinItsBudget(t *testing.T) {
	t.Parallel()
	c := newMediaCache(800)
	v := func(n int) postgres.Variant { return postgres.Variant{ETag: `"x"`, Data: bytes.Repeat([]byte{1}, n)} }
	c.put("a/320.jpg", v(100))
	c.put("a/640.jpg", v(100))
	c.put("b/320.jpg", v(100))
	c.put("huge/1.jpg", v(101)) // over an eighth of the budget: never kept
	if _, ok := c.get("huge/1.jpg"); ok {
		t.Error("kept a variant over an eighth of the budget")
	}
	c.get("a/320.jpg") // the most recent now
	for i := range 6 {
		c.put("c/"+string(rune('0'+i))+".jpg", v(100))
	}
	if c.used > c.budget {
		t.Errorf("used %d of %d", c.used, c.budget)
	}
	if _, ok := c.get("a/320.jpg"); !ok {
		t.Error("evicted the most recently used")
	}
	if _, ok := c.get("a/640.jpg"); ok {
		t.Error("kept the least recently used over the budget")
	}
	c.forget("a")
	if _, ok := c.get("a/320.jpg"); ok {
		t.Error("forget left a variant of the key")
	}
	if _, ok := c.get("c/4.jpg"); !ok {
		t.Error("forget dropped another key's variant")
	}
}
