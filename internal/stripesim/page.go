package stripesim

import (
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// The hosted checkout page: what a customer sees at a session's url. It
// is laid out as a hosted checkout usually is (the order summary beside
// the payment form, one column on a phone), in the simulator's own look:
// no fonts, images or scripts are loaded from anywhere.

type pageData struct {
	ID       string
	Status   string // open, complete, expired, missing
	Merchant string
	// MerchantInitial stands in for a logo.
	MerchantInitial string
	CancelURL       string
	SuccessURL      string
	Items           []pageItem
	Subtotal        string
	Shipping        string
	Discount        string
	Tax             string
	Total           string
	Free            bool // nothing to pay: no payment method is asked for

	Email     string
	Method    string // card or bank
	Card      cardInput
	Bank      bankInput
	Errors    fieldErrors
	Error     string // a decline or failed authentication
	Countries []country

	// Shipping, promotion codes and tax (shown when the session has them).
	CollectsAddress bool
	Ship            shipInput
	ShipCountries   []country // the allowed ones
	Rates           []pageRate
	RateName        string // of the chosen rate, in the totals
	PromoAllowed    bool
	PromoCode       string // as typed
	PromoApplied    string // the code applied, as configured
	PromoNote       string // "10% off"
	TaxLabel        string // "8.25%"; empty without automatic tax

	Auth *pendingAuth // on the authentication page
}

type pageItem struct {
	Name     string
	Initial  string
	Image    string
	Quantity int64
	Unit     string
	Amount   string
}

type country struct{ Code, Name string }

// shipInput is the shipping address form.
type shipInput struct {
	Name, Line1, Line2, City, State, Postal, Country string
}

// pageRate is a shipping option on the page, with the totals it leads to
// (for the few lines of script that update the summary when another one
// is picked; without script, the summary follows on the next submit).
type pageRate struct {
	ID, Name, Amount, Estimate string
	Checked                    bool
	Shipping, Tax, Total       string
}

// countryName is a country's name for the page, its code if unknown.
func countryName(code string) string {
	if n, ok := countryNames[code]; ok {
		return n
	}
	return code
}

var countries = func() []country {
	var out []country
	for code, name := range countryNames {
		out = append(out, country{code, name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}()

const pageCSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1d2e;background:#fff}
a{color:#3730a3}
:focus-visible{outline:3px solid #4338ca;outline-offset:2px}
.vh{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.layout{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);grid-template-areas:"header main" "summary main" "footer main";grid-template-rows:auto auto 1fr;column-gap:72px;max-width:940px;margin:0 auto;padding:48px 32px}
.top{grid-area:header;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
.back{display:inline-flex;align-items:center;gap:8px;color:#1a1d2e;text-decoration:none;font-weight:600;border-radius:6px;padding:4px 6px;margin-left:-6px}
.back:hover{background:#f1f2f6}
.back .arrow{font-size:18px;color:#4b5163}
.mark{display:inline-grid;place-items:center;width:28px;height:28px;border-radius:50%;background:#e0e7ff;color:#3730a3;font-weight:700;font-size:13px}
.badge{font-size:11px;font-weight:700;letter-spacing:.04em;text-transform:uppercase;background:#ffe8b3;color:#6b3a00;border-radius:4px;padding:2px 6px}
.summary{grid-area:summary;margin-top:28px}
.summary h1{font-size:16px;font-weight:500;color:#4b5163;margin:0}
.summary .due{font-size:36px;font-weight:700;letter-spacing:-.02em;margin:4px 0 28px;font-variant-numeric:tabular-nums}
.items{list-style:none;margin:0;padding:0}
.item{display:grid;grid-template-columns:48px 1fr auto;gap:14px;align-items:start;margin-bottom:20px}
.thumb{width:48px;height:48px;border-radius:8px;border:1px solid #e3e5ec;object-fit:cover;background:#f5f6f9;display:grid;place-items:center;font-weight:700;color:#4b5163}
.item .name{font-weight:600}
.item .qty,.item .each{color:#5b6072;font-size:13px}
.item .amount{font-weight:600;font-variant-numeric:tabular-nums}
.totals{margin:8px 0 0;padding:0}
.totals div{display:flex;justify-content:space-between;padding:10px 0;border-top:1px solid #e3e5ec}
.totals dt{color:#1a1d2e}
.totals dd{margin:0;font-variant-numeric:tabular-nums}
.totals .sub dt,.totals .sub dd{font-weight:600}
.totals .muted dt,.totals .muted dd{color:#5b6072}
.totals .grand dt,.totals .grand dd{font-weight:700}
main{grid-area:main;padding-top:4px}
.auth h1{font-size:24px;margin:0 0 12px}
.foot{grid-area:footer;align-self:end;margin-top:32px;font-size:13px;color:#5b6072}
.foot p{margin:0}
h2{font-size:16px;margin:0 0 10px}
section+section{margin-top:28px}
label,.label{display:block;font-size:14px;font-weight:500;color:#30344a;margin:0 0 6px}
input,select{display:block;width:100%;font:inherit;color:inherit;padding:10px 12px;border:1px solid #c9ccd6;border-radius:6px;background:#fff;min-height:44px}
input:hover,select:hover{border-color:#9da2b3}
input[aria-invalid=true],select[aria-invalid=true]{border-color:#b42318;box-shadow:0 0 0 1px #b42318}
.field{margin-bottom:14px}
.err{color:#b42318;font-size:13px;margin:6px 0 0}
fieldset{border:0;margin:0;padding:0;min-width:0}
legend{padding:0;font-size:14px;font-weight:500;color:#30344a;margin-bottom:6px}
.group{display:grid;grid-template-columns:1fr 1fr}
.group>.field{margin:0}
.group .wide{grid-column:1/-1}
.group .wide input{border-radius:6px 6px 0 0}
.group .left input{border-radius:0 0 0 6px;border-top:0}
.group .right input{border-radius:0 0 6px 0;border-top:0;border-left:0}
.group-errs{margin:6px 0 14px}
.group-errs .err{margin:2px 0}
.methods{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin-bottom:16px}
.method{position:relative}
.method input{position:absolute;opacity:0;width:1px;height:1px;min-height:0}
.method label{margin:0;border:1px solid #c9ccd6;border-radius:8px;padding:12px 14px;cursor:pointer;font-weight:600}
.method label .hint{display:block;font-weight:400;font-size:13px;color:#5b6072}
.method input:checked+label{border-color:#4338ca;box-shadow:0 0 0 1px #4338ca;color:#3730a3}
.method input:focus-visible+label{outline:3px solid #4338ca;outline-offset:2px}
.pay-form:has(#method-bank:checked) .card-only{display:none}
.pay-form:has(#method-card:checked) .bank-only{display:none}
.note{font-size:13px;color:#5b6072;margin:0 0 14px}
.alert{border:1px solid #f4b4ad;background:#fef3f2;color:#912018;border-radius:8px;padding:10px 12px;margin:0 0 16px}
button{font:inherit}
.primary{display:block;width:100%;margin-top:20px;padding:12px 16px;min-height:48px;border:0;border-radius:6px;background:#4338ca;color:#fff;font-weight:600;font-size:16px;cursor:pointer}
.primary:hover{background:#3730a3}
.secondary{display:block;width:100%;margin-top:12px;padding:12px 16px;min-height:48px;border:1px solid #c9ccd6;border-radius:6px;background:#fff;color:#1a1d2e;font-weight:600;cursor:pointer}
.secondary:hover{background:#f5f6f9}
.tag{font-size:12px;color:#5b6072;font-weight:400}
.rates{display:grid;gap:8px}
.rate{position:relative}
.rate input{position:absolute;opacity:0;width:1px;height:1px;min-height:0}
.rate label{display:grid;grid-template-columns:1fr auto;gap:2px 12px;margin:0;border:1px solid #c9ccd6;border-radius:8px;padding:10px 14px;cursor:pointer}
.rate .rate-name{font-weight:600}
.rate .rate-est{grid-row:2;font-size:13px;color:#5b6072}
.rate .rate-amount{grid-column:2;grid-row:1;font-variant-numeric:tabular-nums}
.rate input:checked+label{border-color:#4338ca;box-shadow:0 0 0 1px #4338ca}
.rate input:focus-visible+label{outline:3px solid #4338ca;outline-offset:2px}
.promo summary{cursor:pointer;color:#3730a3;font-weight:600;margin-bottom:10px}
.promo-row{display:flex;gap:8px}
.promo-row input{flex:1}
.promo-row .secondary{width:auto;margin:0}
.ok{color:#05603a;font-size:13px;margin:6px 0 0}
.link{background:none;border:0;padding:4px 0;color:#3730a3;text-decoration:underline;cursor:pointer;min-height:32px}
.testcards{margin-top:24px;font-size:13px;color:#5b6072}
.testcards summary{cursor:pointer}
.testcards ul{padding-left:18px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
@media (max-width:760px){
.layout{grid-template-columns:minmax(0,1fr);grid-template-areas:"header" "summary" "main" "footer";padding:20px 16px 32px}
.summary{margin:20px 0 24px;padding-bottom:8px;border-bottom:1px solid #e3e5ec}
.summary .due{font-size:30px;margin-bottom:20px}
}
`

const pageTemplate = `{{define "top"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
<style>` + pageCSS + `</style>
</head>
<body>
<div class="layout">
<header class="top">
{{if .D.CancelURL}}<a class="back" href="{{.D.CancelURL}}" id="cancel" data-testid="cancel"><span class="arrow" aria-hidden="true">←</span><span class="vh">Back to </span><span class="mark" aria-hidden="true">{{.D.MerchantInitial}}</span>{{.D.Merchant}}</a>
{{else}}<span class="back"><span class="mark" aria-hidden="true">{{.D.MerchantInitial}}</span>{{.D.Merchant}}</span>{{end}}
<span class="badge">Test mode</span>
</header>
{{end}}

{{define "summary"}}{{if .Items}}<aside class="summary" aria-labelledby="summary-title">
<h1 id="summary-title">Pay {{.Merchant}}</h1>
<p class="due" id="total" data-testid="total">{{.Total}}</p>
<ul class="items" data-testid="line-items" aria-label="Items">
{{range .Items}}<li class="item" data-testid="line-item">
{{if .Image}}<img class="thumb" src="{{.Image}}" alt="" width="48" height="48">{{else}}<span class="thumb" aria-hidden="true">{{.Initial}}</span>{{end}}
<div><div class="name">{{.Name}}</div><div class="qty">Qty {{.Quantity}}</div>{{if gt .Quantity 1}}<div class="each">{{.Unit}} each</div>{{end}}</div>
<div class="amount">{{.Amount}}</div>
</li>
{{end}}</ul>
<dl class="totals" aria-label="Order total">
<div class="sub"><dt>Subtotal</dt><dd data-testid="subtotal">{{.Subtotal}}</dd></div>
<div class="muted"><dt>Discount{{if .PromoApplied}} <span class="tag">{{.PromoApplied}}</span>{{end}}</dt><dd data-testid="discount">{{.Discount}}</dd></div>
<div class="muted"><dt>Shipping{{if .RateName}} <span class="tag" id="summary-rate" data-testid="summary-rate">{{.RateName}}</span>{{end}}</dt><dd data-testid="shipping">{{.Shipping}}</dd></div>
<div class="muted"><dt>Tax{{if .TaxLabel}} <span class="tag">{{.TaxLabel}}</span>{{end}}</dt><dd data-testid="tax">{{.Tax}}</dd></div>
<div class="grand"><dt>Total due</dt><dd data-testid="total-due" aria-live="polite">{{.Total}}</dd></div>
</dl>
</aside>{{end}}{{end}}

{{define "bottom"}}<footer class="foot">
<p>A simulated checkout served by stripesim. No real payment is made.</p>
</footer>
</div>
</body>
</html>
{{end}}

{{define "text-field"}}<div class="field">
<label for="{{.ID}}">{{.Label}}</label>
<input id="{{.ID}}" name="{{.Name}}" data-testid="{{.ID}}" value="{{.Value}}" autocomplete="{{.Autocomplete}}"{{if index .Errors .Name}} aria-invalid="true" aria-describedby="{{.ID}}-error"{{end}}>
{{template "field-error" .}}
</div>{{end}}

{{define "country-field"}}<div class="field">
<label for="{{.ID}}">Country or region</label>
<select id="{{.ID}}" name="{{.Name}}" data-testid="{{.ID}}" autocomplete="{{.Autocomplete}}"{{if index .Errors .Name}} aria-invalid="true" aria-describedby="{{.ID}}-error"{{end}}>
{{$c := .Value}}{{range .Countries}}<option value="{{.Code}}"{{if eq .Code $c}} selected{{end}}>{{.Name}}</option>
{{end}}</select>
{{template "field-error" .}}
</div>{{end}}

{{define "field-error"}}{{with index .Errors .Name}}<p class="err" id="{{$.ID}}-error">{{.}}</p>{{end}}{{end}}

{{define "page"}}{{template "top" .}}
{{template "summary" .D}}
<main id="main">
{{with .D}}{{if eq .Status "open"}}
<form class="pay-form" id="pay-form" method="post" action="/pay/{{.ID}}" novalidate>
{{/* The form's default button, so that Enter in a field pays rather than applying a promotion code. */}}<button type="submit" name="action" value="pay" class="vh" tabindex="-1" aria-hidden="true">Pay</button>
{{if .Error}}<div class="alert" id="error" data-testid="error" role="alert">{{.Error}}</div>{{end}}
<section aria-labelledby="contact-title">
<h2 id="contact-title">Contact information</h2>
<div class="field">
<label for="email">Email</label>
<input type="email" id="email" name="email" data-testid="email" value="{{.Email}}" autocomplete="email" spellcheck="false"{{if index .Errors "email"}} aria-invalid="true" aria-describedby="email-error"{{end}}>
{{template "field-error" (fieldOf . "email" "email")}}
</div>
</section>
{{if .CollectsAddress}}<section aria-labelledby="shipping-title">
<h2 id="shipping-title">Shipping address</h2>
{{template "text-field" (textField . "shipping_name" "shipping-name" "Full name" "shipping name" .Ship.Name)}}
{{template "country-field" (countryField . "shipping_country" "shipping-country" "shipping country" .Ship.Country .ShipCountries)}}
{{template "text-field" (textField . "shipping_line1" "shipping-line1" "Address line 1" "shipping address-line1" .Ship.Line1)}}
{{template "text-field" (textField . "shipping_line2" "shipping-line2" "Address line 2 (optional)" "shipping address-line2" .Ship.Line2)}}
{{template "text-field" (textField . "shipping_city" "shipping-city" "City" "shipping address-level2" .Ship.City)}}
{{template "text-field" (textField . "shipping_state" "shipping-state" "State or province" "shipping address-level1" .Ship.State)}}
{{template "text-field" (textField . "shipping_postal" "shipping-postal" "Shipping ZIP or postal code" "shipping postal-code" .Ship.Postal)}}
</section>{{end}}
{{if .Rates}}<section aria-labelledby="rates-title">
<h2 id="rates-title">Shipping method</h2>
<fieldset class="rates">
<legend class="vh">Shipping method</legend>
{{range $i, $r := .Rates}}<div class="rate"><input type="radio" name="shipping_rate" id="shipping-rate-{{$i}}" data-testid="shipping-rate-{{$i}}" value="{{.ID}}"{{if .Checked}} checked{{end}} data-name="{{.Name}}" data-shipping="{{.Shipping}}" data-tax="{{.Tax}}" data-total="{{.Total}}"><label for="shipping-rate-{{$i}}"><span class="rate-name">{{.Name}}</span>{{if .Estimate}}<span class="rate-est">{{.Estimate}}</span>{{end}}<span class="rate-amount">{{.Amount}}</span></label></div>
{{end}}</fieldset>
<noscript><button type="submit" class="secondary" name="action" value="update" id="update-total">Update total</button></noscript>
</section>{{end}}
{{if .PromoAllowed}}<section>
<details class="promo"{{if or .PromoCode (index .Errors "promotion_code")}} open{{end}}>
<summary id="add-promotion-code" data-testid="add-promotion-code">Add promotion code</summary>
<div class="field">
<label for="promotion-code">Promotion code</label>
<div class="promo-row">
<input id="promotion-code" name="promotion_code" data-testid="promotion-code" value="{{.PromoCode}}" autocomplete="off" spellcheck="false" autocapitalize="characters"{{if index .Errors "promotion_code"}} aria-invalid="true" aria-describedby="promotion-code-error"{{else if .PromoApplied}} aria-describedby="promotion-code-status"{{end}}>
<button type="submit" class="secondary" name="action" value="apply_code" id="apply-code" data-testid="apply-code">Apply</button>
</div>
{{template "field-error" (fieldOf . "promotion_code" "promotion-code")}}
{{if .PromoApplied}}<p class="ok" id="promotion-code-status" data-testid="promotion-code-status" role="status">{{.PromoApplied}} applied: {{.PromoNote}}</p>
<button type="submit" class="link" name="action" value="remove_code" id="remove-code" data-testid="remove-code">Remove code</button>{{end}}
</div>
</details>
</section>{{end}}
{{if not .Free}}<section aria-labelledby="method-title">
<h2 id="method-title">Payment method</h2>
<fieldset>
<legend class="vh">Pay with</legend>
<div class="methods">
<div class="method"><input type="radio" name="method" id="method-card" value="card"{{if ne .Method "bank"}} checked{{end}}><label for="method-card">Card<span class="hint">Pays now</span></label></div>
<div class="method"><input type="radio" name="method" id="method-bank" value="bank"{{if eq .Method "bank"}} checked{{end}}><label for="method-bank">Bank debit<span class="hint">Settles later</span></label></div>
</div>
</fieldset>

<div class="card-only">
<fieldset>
<legend>Card information</legend>
<div class="group">
<div class="field wide"><label class="vh" for="card-number">Card number</label>
<input id="card-number" name="cardnumber" data-testid="card-number" value="{{.Card.Number}}" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" maxlength="23"{{if index .Errors "cardnumber"}} aria-invalid="true" aria-describedby="card-number-error"{{end}}></div>
<div class="field left"><label class="vh" for="card-expiry">Expiration date (MM / YY)</label>
<input id="card-expiry" name="exp" data-testid="card-expiry" value="{{.Card.Expiry}}" inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY" maxlength="9"{{if index .Errors "exp"}} aria-invalid="true" aria-describedby="card-expiry-error"{{end}}></div>
<div class="field right"><label class="vh" for="card-cvc">Security code (CVC)</label>
<input id="card-cvc" name="cvc" data-testid="card-cvc" value="{{.Card.CVC}}" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" maxlength="4"{{if index .Errors "cvc"}} aria-invalid="true" aria-describedby="card-cvc-error"{{end}}></div>
</div>
<div class="group-errs">
{{template "field-error" (fieldOf . "cardnumber" "card-number")}}
{{template "field-error" (fieldOf . "exp" "card-expiry")}}
{{template "field-error" (fieldOf . "cvc" "card-cvc")}}
</div>
</fieldset>
<div class="field">
<label for="card-name">Name on card</label>
<input id="card-name" name="name" data-testid="card-name" value="{{.Card.Name}}" autocomplete="cc-name"{{if index .Errors "name"}} aria-invalid="true" aria-describedby="card-name-error"{{end}}>
{{template "field-error" (fieldOf . "name" "card-name")}}
</div>
{{if .CollectsAddress}}<p class="note">The billing address is the shipping address.</p>{{else}}<fieldset>
<legend>Billing address</legend>
{{template "country-field" (countryField . "country" "country" "country" .Card.Country .Countries)}}
<div class="field">
<label for="postal">ZIP or postal code</label>
<input id="postal" name="postal" data-testid="postal" value="{{.Card.Postal}}" autocomplete="postal-code"{{if index .Errors "postal"}} aria-invalid="true" aria-describedby="postal-error"{{end}}>
{{template "field-error" (fieldOf . "postal" "postal")}}
</div>
</fieldset>{{end}}
</div>

<div class="bank-only">
<p class="note" id="bank-note">The debit stays processing for a while after you pay, then succeeds or fails.</p>
<div class="field">
<label for="bank-name">Account holder name</label>
<input id="bank-name" name="bank_name" data-testid="bank-name" value="{{.Bank.Name}}" autocomplete="name"{{if index .Errors "bank_name"}} aria-invalid="true" aria-describedby="bank-name-error"{{end}}>
{{template "field-error" (fieldOf . "bank_name" "bank-name")}}
</div>
<div class="field">
<label for="bank-routing">Routing number</label>
<input id="bank-routing" name="routing" data-testid="bank-routing" value="{{.Bank.Routing}}" inputmode="numeric" autocomplete="off"{{if index .Errors "routing"}} aria-invalid="true" aria-describedby="bank-routing-error"{{end}}>
{{template "field-error" (fieldOf . "routing" "bank-routing")}}
</div>
<div class="field">
<label for="bank-account">Account number</label>
<input id="bank-account" name="account" data-testid="bank-account" value="{{.Bank.Account}}" inputmode="numeric" autocomplete="off"{{if index .Errors "account"}} aria-invalid="true" aria-describedby="bank-account-error"{{end}}>
{{template "field-error" (fieldOf . "account" "bank-account")}}
</div>
</div>
</section>{{end}}
<button type="submit" class="primary" name="action" value="pay" id="pay" data-testid="pay"{{if not .Free}} data-label="pay"{{end}}>{{if .Free}}Complete order{{else}}Pay {{.Total}}{{end}}</button>
</form>
<details class="testcards">
<summary>Test numbers</summary>
<ul>
<li><code>4242 4242 4242 4242</code> pays</li>
<li><code>4000 0000 0000 0002</code> is declined; <code>…9995</code> has insufficient funds; <code>…0069</code> has expired; <code>…0127</code> fails the CVC check</li>
<li><code>4000 0027 6000 3184</code> asks for 3-D Secure</li>
<li>Any future expiry date and any CVC</li>
<li>Bank debit: routing <code>110000000</code>, account <code>000123456789</code> settles, <code>000111111113</code> fails</li>
</ul>
</details>
<script>
(function () {
  function digits(v) { return v.replace(/\D/g, ''); }
  var num = document.getElementById('card-number');
  if (num) num.addEventListener('input', function () {
    var d = digits(num.value).slice(0, 19);
    var amex = /^3[47]/.test(d);
    var groups = amex ? [d.slice(0, 4), d.slice(4, 10), d.slice(10, 15)] : d.match(/.{1,4}/g) || [];
    num.value = groups.filter(Boolean).join(' ');
  });
  // A shipping rate picked: the summary shows the totals the server
  // worked out for it (data-* on each option).
  document.querySelectorAll('input[name="shipping_rate"]').forEach(function (r) {
    r.addEventListener('change', function () {
      var set = function (sel, v) { var el = document.querySelector(sel); if (el) el.textContent = v; };
      set('[data-testid="shipping"]', r.dataset.shipping);
      set('[data-testid="tax"]', r.dataset.tax);
      set('[data-testid="total-due"]', r.dataset.total);
      set('#total', r.dataset.total);
      set('#summary-rate', r.dataset.name);
      var pay = document.getElementById('pay');
      if (pay && pay.dataset.label === 'pay') pay.textContent = 'Pay ' + r.dataset.total;
    });
  });
  // Enter in the promotion code field applies it (the form's default
  // button pays).
  var code = document.getElementById('promotion-code');
  if (code) code.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    document.getElementById('apply-code').click();
  });
  var exp = document.getElementById('card-expiry');
  if (exp) exp.addEventListener('input', function (e) {
    var d = digits(exp.value).slice(0, 4);
    if (e.inputType && e.inputType.indexOf('delete') === 0) return;
    exp.value = d.length > 2 || (d.length === 2 && exp.value.length <= 2) ? d.slice(0, 2) + ' / ' + d.slice(2) : d;
  });
})();
</script>
{{else if eq .Status "complete"}}
<h2 id="message-title">Already paid</h2>
<p id="message" data-testid="message">This checkout session is already complete.</p>
{{if .SuccessURL}}<p><a href="{{.SuccessURL}}" id="continue" data-testid="continue">Continue</a></p>{{end}}
{{else if eq .Status "expired"}}
<h2 id="message-title">Session expired</h2>
<p id="message" data-testid="message">This checkout session has expired. Go back to the shop and start again.</p>
{{else}}
<h1 id="message-title">Not found</h1>
<p id="message" data-testid="message">There is no checkout session with this id.</p>
{{end}}{{end}}
</main>
{{template "bottom" .}}{{end}}

{{define "authenticate"}}{{template "top" .}}
<main id="main" class="auth">
{{with .D}}
<h1>Confirm this payment with your bank</h1>
<p>Your bank asks you to confirm the payment of <strong id="auth-amount" data-testid="auth-amount">{{.Total}}</strong> to {{.Merchant}} with your {{.Auth.Brand}} card ending in <strong>{{.Auth.Last4}}</strong>.</p>
<p class="note">This is a test page standing in for your bank's 3-D Secure check: choose how the bank answers.</p>
<form method="post" action="/pay/{{.ID}}/authenticate">
<button type="submit" class="primary" name="action" value="complete" id="authenticate-complete" data-testid="authenticate-complete">Complete authentication</button>
<button type="submit" class="secondary" name="action" value="fail" id="authenticate-fail" data-testid="authenticate-fail">Fail authentication</button>
</form>
{{end}}
</main>
{{template "bottom" .}}{{end}}
`

// fieldOf hands the field-error template what it needs: the page's
// errors, the form field's name and its element id.
type fieldRef struct {
	Errors fieldErrors
	Name   string
	ID     string
}

// textRef is a labelled text input of the page; Countries make it a
// select of them.
type textRef struct {
	fieldRef
	Label, Autocomplete, Value string
	Countries                  []country
}

var payPage = template.Must(template.New("pay").Funcs(template.FuncMap{
	"fieldOf": func(d pageData, name, id string) fieldRef { return fieldRef{d.Errors, name, id} },
	"textField": func(d pageData, name, id, label, autocomplete, value string) textRef {
		return textRef{fieldRef{d.Errors, name, id}, label, autocomplete, value, nil}
	},
	"countryField": func(d pageData, name, id, autocomplete, value string, list []country) textRef {
		return textRef{fieldRef{d.Errors, name, id}, "Country or region", autocomplete, value, list}
	},
}).Parse(pageTemplate))

type pageView struct {
	Title string
	D     pageData
}

// pageDataOf describes the page of session id; s.mu must be held.
func (s *Server) pageDataOf(id string) pageData {
	d := pageData{ID: id, Status: "missing", Merchant: s.cfg.MerchantName, Countries: countries,
		Method: "card", Card: cardInput{Country: "US"}, Errors: fieldErrors{}}
	d.MerchantInitial = initialOf(d.Merchant)
	cs := s.sessions[id]
	if cs == nil {
		return d
	}
	d.Status, d.Email, d.CancelURL = cs.Status, cs.CustomerEmail, cs.CancelURL
	d.SuccessURL = strings.ReplaceAll(cs.SuccessURL, "{CHECKOUT_SESSION_ID}", cs.ID)
	d.CollectsAddress = len(cs.AllowedCountries) > 0
	for _, c := range cs.AllowedCountries {
		d.ShipCountries = append(d.ShipCountries, country{c, countryName(c)})
	}
	sort.Slice(d.ShipCountries, func(i, j int) bool { return d.ShipCountries[i].Name < d.ShipCountries[j].Name })
	if d.CollectsAddress {
		d.Ship.Country = cs.AllowedCountries[0]
		if slices.Contains(cs.AllowedCountries, "US") {
			d.Ship.Country = "US"
		}
		if sd := cs.ShippingDetails; sd != nil {
			a := sd.Address
			d.Ship = shipInput{Name: sd.Name, Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State, Postal: a.PostalCode, Country: a.Country}
		}
	}
	d.PromoAllowed = cs.AllowPromotionCodes
	if pc := cs.Promotion; pc != nil && cs.AllowPromotionCodes {
		d.PromoCode = pc.Code
	}
	s.setTotals(&d, cs, cs.ShippingRateID, cs.Promotion)
	for _, li := range cs.LineItems {
		d.Items = append(d.Items, pageItem{Name: li.Name, Initial: initialOf(li.Name), Image: li.Image, Quantity: li.Quantity,
			Unit: formatAmount(li.UnitAmount, li.Currency), Amount: formatAmount(li.UnitAmount*li.Quantity, li.Currency)})
	}
	if cs.pageEmail != "" {
		d.Email = cs.pageEmail
	}
	d.Error = cs.pageError
	d.Auth = cs.auth
	return d
}

// setTotals fills in the summary of cs as the customer would pay it with
// shipping rate rateID and promotion code promo, tax included (the rate
// does not depend on where the customer is); s.mu must be held.
func (s *Server) setTotals(d *pageData, cs *session, rateID string, promo *PromotionCode) {
	cur := cs.Currency
	of := func(rate *shippingRate) totals {
		return computeTotals(cs.LineItems, rate, promo, cs.AutomaticTax, cs.TaxRate)
	}
	d.Rates = nil
	var chosen *shippingRate
	for i := range cs.ShippingOptions {
		if cs.ShippingOptions[i].ID == rateID {
			chosen = &cs.ShippingOptions[i]
		}
	}
	if chosen == nil && len(cs.ShippingOptions) > 0 {
		chosen = &cs.ShippingOptions[0]
	}
	for i := range cs.ShippingOptions {
		r := &cs.ShippingOptions[i]
		t := of(r)
		amount := formatAmount(r.Amount, cur)
		if r.Amount == 0 {
			amount = "Free"
		}
		d.Rates = append(d.Rates, pageRate{ID: r.ID, Name: r.DisplayName, Amount: amount, Estimate: r.estimateText(),
			Checked: r == chosen, Shipping: formatAmount(t.Shipping, cur), Tax: formatAmount(t.Tax, cur), Total: formatAmount(t.Total, cur)})
	}
	t := of(chosen)
	if chosen != nil {
		d.RateName = chosen.DisplayName
	}
	d.Subtotal, d.Shipping, d.Tax, d.Total = formatAmount(t.Subtotal, cur), formatAmount(t.Shipping, cur), formatAmount(t.Tax, cur), formatAmount(t.Total, cur)
	d.Discount = formatAmount(0, cur)
	if t.Discount > 0 {
		d.Discount = "−" + formatAmount(t.Discount, cur)
	}
	d.PromoApplied, d.PromoNote = "", ""
	if promo != nil {
		d.PromoApplied, d.PromoNote = promo.Code, promo.describe(cur)
	}
	d.TaxLabel = ""
	if cs.AutomaticTax {
		d.TaxLabel = formatPercent(cs.TaxRate)
	}
	d.Free = t.Total == 0
}

func (s *Server) renderPage(w http.ResponseWriter, status int, name string, d pageData) {
	if d.Status == "missing" && status == http.StatusOK {
		status = http.StatusNotFound
	}
	title := "Pay " + d.Merchant + " (test mode)"
	switch {
	case name == "authenticate":
		title = "Confirm your payment (test mode)"
	case d.Status == "missing":
		title = "Checkout not found"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := payPage.ExecuteTemplate(w, name, pageView{Title: title, D: d}); err != nil {
		s.log.Error("stripesim: render checkout page", "error", err)
	}
}

func (s *Server) handlePayPage(w http.ResponseWriter, r *http.Request) {
	s.expireDue()
	s.mu.Lock()
	d := s.pageDataOf(r.PathValue("id"))
	// A message carried over a redirect is shown once.
	if cs := s.sessions[r.PathValue("id")]; cs != nil {
		cs.pageError, cs.pageEmail = "", ""
	}
	s.mu.Unlock()
	s.renderPage(w, http.StatusOK, "page", d)
}

// handlePaySubmit takes the page's form: action=pay with the e-mail and a
// card or a bank account, or action=cancel; or, without payment details,
// action=paid, async_succeeded or async_failed as the earlier page posted.
func (s *Server) handlePaySubmit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.expireDue()
	s.mu.Lock()
	d := s.pageDataOf(id)
	s.mu.Unlock()
	if r.PostFormValue("action") == "cancel" {
		target := d.CancelURL
		if target == "" {
			target = "/pay/" + id
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	if d.Status != "open" {
		s.renderPage(w, http.StatusConflict, "page", d)
		return
	}

	form := r.PostFormValue
	action := form("action")
	d.Error = ""
	d.Email = strings.TrimSpace(form("email"))
	d.Card = cardInput{Number: form("cardnumber"), Expiry: form("exp"), CVC: form("cvc"),
		Name: form("name"), Country: form("country"), Postal: form("postal")}
	d.Bank = bankInput{Name: form("bank_name"), Routing: form("routing"), Account: form("account")}
	if d.Method = "card"; form("method") == "bank" {
		d.Method = "bank"
	}
	if d.Card.Country == "" {
		d.Card.Country = "US"
	}
	oldForm := action == outcomePaid || action == outcomeAsyncSucceeded || action == outcomeAsyncFailed
	if d.CollectsAddress && !oldForm {
		d.Ship = shipInput{Name: strings.TrimSpace(form("shipping_name")), Line1: strings.TrimSpace(form("shipping_line1")),
			Line2: strings.TrimSpace(form("shipping_line2")), City: strings.TrimSpace(form("shipping_city")),
			State: strings.TrimSpace(form("shipping_state")), Postal: strings.TrimSpace(form("shipping_postal")),
			Country: form("shipping_country")}
	}

	// What the customer chose: the shipping rate and promotion code decide
	// the totals shown and charged.
	pay := payInput{Email: d.Email, Name: strings.TrimSpace(d.Card.Name), ShippingRate: form("shipping_rate")}
	var promo *PromotionCode
	if d.PromoAllowed && !oldForm {
		d.PromoCode = strings.TrimSpace(form("promotion_code"))
		if action == "remove_code" {
			d.PromoCode = ""
		}
		if d.PromoCode != "" {
			if promo = s.findPromotion(d.PromoCode); promo == nil {
				d.Errors["promotion_code"] = "This code is invalid."
			}
		}
		pay.PromotionCode = &d.PromoCode
	}
	s.mu.Lock()
	if cs := s.sessions[id]; cs != nil {
		if !oldForm {
			if !slices.ContainsFunc(cs.ShippingOptions, func(r shippingRate) bool { return r.ID == pay.ShippingRate }) {
				pay.ShippingRate = ""
			}
			if !d.PromoAllowed {
				promo = cs.Promotion
			}
		}
		rate := pay.ShippingRate
		if rate == "" {
			rate = cs.ShippingRateID
		}
		s.setTotals(&d, cs, rate, promo)
	}
	s.mu.Unlock()
	switch action {
	case "apply_code", "remove_code", "update":
		// Only the summary changes; nothing is checked but the code.
		status := http.StatusOK
		if len(d.Errors) > 0 {
			status = http.StatusUnprocessableEntity
		}
		s.renderPage(w, status, "page", d)
		return
	}

	switch {
	case d.Email == "":
		d.Errors["email"] = "Your email is incomplete."
	case !validEmail(d.Email):
		d.Errors["email"] = "Your email address is invalid."
	}
	if oldForm {
		// The earlier page's form, kept for tests that post it without a
		// browser (internal/httpapi): an outcome and an e-mail, no card;
		// a delayed payment settles at once, as the control API's does.
		// A session that collects an address ships to a test one.
		if len(d.Errors) > 0 {
			s.renderPage(w, http.StatusUnprocessableEntity, "page", d)
			return
		}
		s.finish(w, r, id, action, pay, 0)
		return
	}
	if d.CollectsAddress {
		for k, v := range checkShipping(d.Ship, d.ShipCountries) {
			d.Errors[k] = v
		}
		pay.Shipping = &shippingDetails{Name: d.Ship.Name, Address: address{Line1: d.Ship.Line1, Line2: d.Ship.Line2,
			City: d.Ship.City, State: d.Ship.State, PostalCode: d.Ship.Postal, Country: d.Ship.Country}}
		if pay.Name == "" {
			pay.Name = d.Ship.Name
		}
	}
	var number string
	var settles bool
	var errs fieldErrors
	switch {
	case d.Free:
	case d.Method == "bank":
		settles, errs = checkBank(d.Bank)
	default:
		number, errs = checkCard(d.Card, s.cfg.Now())
		if d.CollectsAddress {
			// The billing address is the shipping address, as Stripe's
			// page has it by default.
			delete(errs, "country")
			delete(errs, "postal")
		}
	}
	if !d.CollectsAddress && !d.Free && d.Method == "card" {
		pay.Billing = &address{Country: d.Card.Country, PostalCode: strings.TrimSpace(d.Card.Postal)}
	}
	for k, v := range errs {
		d.Errors[k] = v
	}
	if len(d.Errors) > 0 {
		s.renderPage(w, http.StatusUnprocessableEntity, "page", d)
		return
	}

	outcome, settleAfter := outcomePaid, s.cfg.BankDebitDelay
	switch {
	case d.Free:
	case d.Method == "bank":
		outcome = outcomeAsyncFailed
		if settles {
			outcome = outcomeAsyncSucceeded
		}
	default:
		card := outcomeOf(number)
		if card.Message != "" {
			code := "card_declined"
			if card.Decline == "expired_card" || card.Decline == "incorrect_cvc" {
				code = card.Decline
			}
			s.awaitAttempt(r.Context(), s.decline(id, pay, code, card.Decline, card.Message)...)
			d.Error = card.Message
			s.renderPage(w, http.StatusPaymentRequired, "page", d)
			return
		}
		if card.ThreeDS {
			s.mu.Lock()
			if cs := s.sessions[id]; cs != nil && cs.Status == "open" {
				cs.auth = &pendingAuth{Email: d.Email, Brand: brandName(card.Brand), Last4: number[len(number)-4:], Pay: pay}
			}
			s.mu.Unlock()
			http.Redirect(w, r, "/pay/"+id+"/authenticate", http.StatusSeeOther)
			return
		}
	}
	s.finish(w, r, id, outcome, pay, settleAfter)
}

// finish completes the session and sends the customer on to success_url
// once the events have had their first delivery attempt.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, id, outcome string, pay payInput, settleAfter time.Duration) {
	redirect, evs, err := s.complete(id, outcome, pay, settleAfter)
	if err != nil {
		s.mu.Lock()
		d := s.pageDataOf(id)
		s.mu.Unlock()
		status := http.StatusConflict
		if e, ok := err.(*apiError); ok {
			status = e.Status
		}
		s.renderPage(w, status, "page", d)
		return
	}
	s.awaitAttempt(r.Context(), evs...)
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

func (s *Server) handleAuthPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.expireDue()
	s.mu.Lock()
	d := s.pageDataOf(id)
	s.mu.Unlock()
	if d.Status != "open" || d.Auth == nil {
		http.Redirect(w, r, "/pay/"+id, http.StatusSeeOther)
		return
	}
	s.renderPage(w, http.StatusOK, "authenticate", d)
}

// handleAuthSubmit is the bank's answer to 3-D Secure: action=complete
// pays, action=fail sends the customer back to the payment form with
// Stripe's message.
func (s *Server) handleAuthSubmit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.expireDue()
	s.mu.Lock()
	cs := s.sessions[id]
	if cs == nil || cs.Status != "open" || cs.auth == nil {
		s.mu.Unlock()
		http.Redirect(w, r, "/pay/"+id, http.StatusSeeOther)
		return
	}
	auth := cs.auth
	cs.auth = nil
	if r.PostFormValue("action") != "complete" {
		cs.pageError, cs.pageEmail = msgAuthFailed, auth.Email
		s.mu.Unlock()
		http.Redirect(w, r, "/pay/"+id, http.StatusSeeOther)
		return
	}
	s.mu.Unlock()
	pay := auth.Pay
	pay.Email = auth.Email
	s.finish(w, r, id, outcomePaid, pay, 0)
}

func initialOf(name string) string {
	if r := []rune(strings.TrimSpace(name)); len(r) > 0 {
		return strings.ToUpper(string(r[0]))
	}
	return "·"
}

func brandName(brand string) string {
	switch brand {
	case "visa":
		return "Visa"
	case "mastercard":
		return "Mastercard"
	case "amex":
		return "American Express"
	case "discover":
		return "Discover"
	}
	return ""
}
