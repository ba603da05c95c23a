package mail

import (
	"strconv"
	"strings"
)

// Money formats an amount in a currency's minor unit for people, as the
// web does (en-US): Money(123450, "usd") is "$1,234.50", Money(500, "jpy")
// is "¥500". Stripe's zero- and three-decimal currencies are listed here,
// for Go has no Intl to ask.
func Money(minor int64, currency string) string {
	cur := strings.ToLower(currency)
	digits := 2
	switch cur {
	case "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf":
		digits = 0
	case "bhd", "jod", "kwd", "omr", "tnd":
		digits = 3
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := strconv.FormatInt(minor, 10)
	for len(s) <= digits {
		s = "0" + s
	}
	whole, frac := s[:len(s)-digits], s[len(s)-digits:]
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	n := b.String()
	if frac != "" {
		n += "." + frac
	}
	switch cur {
	case "usd":
		return sign + "$" + n
	case "eur":
		return sign + "€" + n
	case "gbp":
		return sign + "£" + n
	case "jpy":
		return sign + "¥" + n
	}
	return sign + n + " " + strings.ToUpper(cur)
}
