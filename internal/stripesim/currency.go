package stripesim

import (
	"strconv"
	"strings"
)

// supportedCurrencies are the presentment currencies Stripe accepts.
var supportedCurrencies = strings.Fields(`
usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp
byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip
gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt
lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr
nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd
std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw`)

func isSupportedCurrency(c string) bool {
	for _, s := range supportedCurrencies {
		if s == c {
			return true
		}
	}
	return false
}

// minorUnitDigits is how many digits of an amount are below the unit:
// 0 for zero-decimal currencies like jpy, 3 for kwd and its kind, else 2.
func minorUnitDigits(currency string) int {
	switch currency {
	case "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf":
		return 0
	case "bhd", "jod", "kwd", "omr", "tnd":
		return 3
	}
	return 2
}

// minimumCharge is Stripe's smallest charge in minor units, for the
// currencies whose minimum Stripe publishes.
var minimumCharge = map[string]int64{
	"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
	"dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
	"myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}

// maximumAmount is Stripe's largest amount: eight digits in minor units.
const maximumAmount = 99_999_999

var currencySymbols = map[string]string{
	"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "nzd": "NZ$",
	"inr": "₹", "krw": "₩", "cny": "CN¥", "brl": "R$", "mxn": "MX$", "hkd": "HK$", "sgd": "SGD ",
}

// formatAmount writes an amount in minor units the way a shopper reads it:
// formatAmount(125000, "usd") is "$1,250.00", formatAmount(1500, "jpy") is
// "¥1,500" and formatAmount(1250, "chf") is "CHF 12.50".
func formatAmount(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	digits := minorUnitDigits(currency)
	div := int64(1)
	for range digits {
		div *= 10
	}
	whole := strconv.FormatInt(amount/div, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	num := whole
	if digits > 0 {
		frac := strconv.FormatInt(amount%div, 10)
		num += "." + strings.Repeat("0", digits-len(frac)) + frac
	}
	if sym, ok := currencySymbols[currency]; ok {
		return sign + sym + num
	}
	return sign + strings.ToUpper(currency) + " " + num
}
