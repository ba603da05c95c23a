package stripesim

import "container/heap"

// openByExpiry holds the sessions that were open when created, earliest
// expires_at first, so that expiring the due ones looks at those alone
// instead of at every session held. A session paid or expired early stays
// in it until its expires_at comes, and is dropped then.
type openByExpiry []*session

func (h openByExpiry) Len() int           { return len(h) }
func (h openByExpiry) Less(i, j int) bool { return h[i].ExpiresAt.Before(h[j].ExpiresAt) }
func (h openByExpiry) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *openByExpiry) Push(x any)        { *h = append(*h, x.(*session)) }
func (h *openByExpiry) Pop() any {
	old := *h
	cs := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return cs
}

// expireDue expires every open session whose expires_at has passed.
func (s *Server) expireDue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	for len(s.expiring) > 0 && !now.Before(s.expiring[0].ExpiresAt) {
		cs := heap.Pop(&s.expiring).(*session)
		if cs.Status == "open" {
			s.expire(cs, nil)
		}
	}
}

// addSession indexes a new session; s.mu must be held.
func (s *Server) addSession(cs *session) {
	cs.seq = len(s.sessionOrder)
	s.sessions[cs.ID] = cs
	s.sessionOrder = append(s.sessionOrder, cs)
	heap.Push(&s.expiring, cs)
	for i := range cs.ShippingOptions {
		s.shippingRates[cs.ShippingOptions[i].ID] = &cs.ShippingOptions[i]
	}
}
