// Package clientip says which client a request counts against, for every
// per-client limit of the shop (login attempts, checkouts, units held), so
// that all of them group clients the same way.
package clientip

import "net/netip"

// Key is the client an address counts as: an IPv4 address is itself (an
// IPv4-mapped IPv6 address too); an IPv6 address is its /64, the block one
// host usually holds, so rotating addresses within it does not make a
// client new. Text that is no address is returned as it is.
func Key(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	prefix, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return prefix.String()
}
