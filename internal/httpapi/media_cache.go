package httpapi

import (
	"container/list"
	"sync"

	"github.com/stripeshop/stripeshop/internal/postgres"
)

// mediaCacheBytes bounds the variants a replica keeps in memory.
const mediaCacheBytes = 32 << 20

// mediaCache keeps the most recently served variants in memory, up to a
// byte budget. A variant's address names its content, so a cached copy is
// never stale; a picture deleted through this replica is dropped at once,
// and one deleted elsewhere ages out (as it would from browsers and CDNs,
// which were told it is immutable).
type mediaCache struct {
	mu     sync.Mutex
	budget int
	used   int
	order  *list.List // front: most recently used
	byName map[string]*list.Element
}

type mediaEntry struct {
	name string
	v    postgres.Variant
}

func newMediaCache(budget int) *mediaCache {
	return &mediaCache{budget: budget, order: list.New(), byName: map[string]*list.Element{}}
}

func (c *mediaCache) get(name string) (postgres.Variant, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byName[name]
	if !ok {
		return postgres.Variant{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*mediaEntry).v, true
}

func (c *mediaCache) put(name string, v postgres.Variant) {
	if len(v.Data) == 0 || len(v.Data) > c.budget/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byName[name]; ok {
		return
	}
	c.byName[name] = c.order.PushFront(&mediaEntry{name: name, v: v})
	c.used += len(v.Data)
	for c.used > c.budget {
		last := c.order.Back()
		c.removeLocked(last.Value.(*mediaEntry).name)
	}
}

// forget drops every cached variant of a stored picture.
func (c *mediaCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.byName {
		if len(name) > len(key) && name[:len(key)] == key && name[len(key)] == '/' {
			c.removeLocked(name)
		}
	}
}

func (c *mediaCache) removeLocked(name string) {
	e := c.byName[name]
	c.used -= len(e.Value.(*mediaEntry).v.Data)
	c.order.Remove(e)
	delete(c.byName, name)
}
