package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// APIError is a non-2xx answer of the TwelveLabs API.
type APIError struct {
	API        API
	Page       int
	StatusCode int
	// Code is the API's error code, such as "api_key_invalid" or
	// "too_many_requests"; empty when the body carried none.
	Code string
	// Message is the API's message, or a short, cleaned excerpt of a
	// body that was not JSON (an HTML page from a gateway, say).
	Message string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s page %d: HTTP %d", e.API.Path(), e.Page, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// KeyRejected tells whether the API refused the key itself (invalid or
// expired), as opposed to an outage or a plan limit: the key needs rotating.
func (e *APIError) KeyRejected() bool {
	return !e.NotAllowed() && (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden ||
		e.Code == "api_key_invalid")
}

// NotAllowed tells whether the key is good but the organisation's plan or
// region does not allow the endpoint: rotating the key will not help.
func (e *APIError) NotAllowed() bool {
	switch e.Code {
	case "api_allowed_for_paid_plan", "api_not_allowed", "region_not_allowed":
		return true
	}
	return false
}

// RateLimited tells whether the API refused the request for the rate limit.
func (e *APIError) RateLimited() bool { return e.StatusCode == http.StatusTooManyRequests }

// NotFound tells whether the endpoint does not exist, which points at a
// wrong base URL.
func (e *APIError) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// ServerFault tells whether the API failed on its side (5xx).
func (e *APIError) ServerFault() bool { return e.StatusCode >= http.StatusInternalServerError }

// Reason is why a listing failed, from a small fixed set, so that alerts and
// counters can tell a rejected key from an outage.
type Reason string

// The reasons a listing fails.
const (
	ReasonKeyRejected Reason = "key_rejected" // 401, 403 or api_key_invalid: rotate the key
	ReasonNotAllowed  Reason = "not_allowed"  // the plan or region does not allow the endpoint
	ReasonRateLimited Reason = "rate_limited" // 429
	ReasonServerError Reason = "server_error" // 5xx
	ReasonTimeout     Reason = "timeout"      // 408, a request or the listing out of time
	ReasonMalformed   Reason = "malformed"    // a page the exporter cannot read, or inconsistent paging
	ReasonTooLarge    Reason = "too_large"    // a body, a page or a listing past its limit
	ReasonTransport   Reason = "transport"    // no HTTP answer: connection refused or reset, TLS, DNS, redirects refused
	ReasonBadRequest  Reason = "bad_request"  // other 4xx: a wrong base URL (404) or a parameter refused (400)
	ReasonBudget      Reason = "budget"       // the organisation's request budget could not pay for it
)

// Reasons lists every Reason, for zero-filled counters.
var Reasons = []Reason{ReasonKeyRejected, ReasonNotAllowed, ReasonRateLimited, ReasonServerError, ReasonTimeout,
	ReasonMalformed, ReasonTooLarge, ReasonTransport, ReasonBadRequest, ReasonBudget}

// ReasonOf classifies the error of a failed listing.
func ReasonOf(err error) Reason {
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		switch {
		case ae.NotAllowed():
			return ReasonNotAllowed
		case ae.KeyRejected():
			return ReasonKeyRejected
		case ae.RateLimited():
			return ReasonRateLimited
		case ae.ServerFault():
			return ReasonServerError
		case ae.StatusCode == http.StatusRequestTimeout:
			return ReasonTimeout
		}
		return ReasonBadRequest
	case errors.Is(err, errBodyTooLarge), errors.Is(err, errTooManyPages), errors.Is(err, errTooManyItems), errors.Is(err, errTokenTooLarge):
		return ReasonTooLarge
	case errors.Is(err, ErrBudgetExhausted):
		return ReasonBudget
	case errors.Is(err, errMalformed), errors.Is(err, ErrInconsistent):
		return ReasonMalformed
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, errRequestTimeout):
		return ReasonTimeout
	}
	return ReasonTransport
}

// errorBody covers both error shapes the API uses:
// {"code","message","docs_url"} and {"error":{"code","message","details"}}.
// Some gateways send {"error":"text"}, which the raw field catches.
type errorBody struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Error   json.RawMessage `json:"error"`
}

type nestedError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// maxErrorExcerpt bounds how much of a body that is not JSON goes into an error.
const maxErrorExcerpt = 160

// parseErrorBody fills code and message from an error response body. It never
// fails: a body it cannot read as JSON becomes a short excerpt, an empty body
// the HTTP status text. Occurrences of secret are replaced, so that an API
// echoing the key cannot leak it into logs.
func parseErrorBody(status int, body []byte, secret string) (code, message string) {
	// Redact before anything is cut: a body read up to its limit may end
	// in the middle of the key, and an excerpt may cut it anywhere. A
	// gateway's page may quote a URL with credentials (its own, or a
	// proxy's): their password goes too.
	body = []byte(RedactURLs(redact(string(body), secret)))
	var eb errorBody
	isJSON := json.Unmarshal(body, &eb) == nil
	if isJSON {
		code, message = eb.Code, eb.Message
		if len(eb.Error) > 0 && eb.Error[0] == '{' {
			var ne nestedError
			if json.Unmarshal(eb.Error, &ne) == nil {
				if code == "" {
					code = ne.Code
				}
				if message == "" {
					message = ne.Message
				}
			}
		} else if len(eb.Error) > 0 && eb.Error[0] == '"' && message == "" {
			_ = json.Unmarshal(eb.Error, &message)
		}
	}
	if code == "" && message == "" {
		message = excerpt(body)
		if message == "" {
			message = "empty body (" + http.StatusText(status) + ")"
		} else if isJSON {
			message = "error body without code or message: " + message
		} else {
			message = "non-JSON body: " + message
		}
	}
	return redact(clean(code), secret), redact(clean(message), secret)
}

// excerpt makes a single printable line of at most maxErrorExcerpt runes,
// with HTML tags dropped so that a gateway's error page reads as its text.
func excerpt(body []byte) string {
	var b strings.Builder
	inTag, space, n := false, false, 0
	for _, r := range string(body) {
		switch {
		case r == '<':
			inTag = true
			continue
		case r == '>' && inTag:
			inTag = false
			space = true
			continue
		case inTag:
			continue
		case unicode.IsSpace(r) || !unicode.IsPrint(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		if n >= maxErrorExcerpt {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// clean keeps a message to one printable line of bounded length.
func clean(s string) string {
	if len(s) > 4*maxErrorExcerpt || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return excerpt([]byte(s))
	}
	return s
}

// minSecretFragment is the shortest piece of the key that is redacted
// wherever it appears: a key cut short is still too much of the key.
const minSecretFragment = 8

// redact replaces the key and every piece of it of minSecretFragment bytes
// or more (as left where a body or an excerpt was cut) with <redacted>.
func redact(s, secret string) string {
	if len(secret) < minSecretFragment {
		if secret == "" {
			return s
		}
		return strings.ReplaceAll(s, secret, "<redacted>")
	}
	// Any such piece contains one of the key's windows of
	// minSecretFragment bytes: mark every occurrence of each, then replace
	// each marked run.
	marked := make([]bool, len(s))
	any := false
	for i := 0; i+minSecretFragment <= len(secret); i++ {
		w := secret[i : i+minSecretFragment]
		for from := 0; ; {
			j := strings.Index(s[from:], w)
			if j < 0 {
				break
			}
			for k := from + j; k < from+j+minSecretFragment; k++ {
				marked[k] = true
			}
			any = true
			from += j + 1
		}
	}
	if !any {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !marked[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		for i < len(s) && marked[i] {
			i++
		}
		b.WriteString("<redacted>")
	}
	return b.String()
}

// RedactURLs replaces the password of every URL in s that carries one
// with "xxxxx", as url.URL.Redacted does: errors quote URLs (a proxy
// address, a base URL refused for its credentials), and logs must not
// carry the password. A URL that does not parse (a password with an
// unescaped '@', say) has everything between the first ':' of its user
// information and the last '@' of the word replaced: when in doubt, more
// goes than less.
func RedactURLs(s string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	from := 0 // s[:from] is written
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		j += i
		start := j // the scheme's first byte
		for start > from && isSchemeByte(s[start-1]) {
			start--
		}
		for start < j && !isLetter(s[start]) {
			start++
		}
		if start == j { // "://" without a scheme
			i = j + 3
			continue
		}
		end := j + 3
		for end < len(s) && !endsURL(s, end) {
			end++
		}
		b.WriteString(s[from:start])
		b.WriteString(redactURL(s[start:end], j-start))
		from, i = end, end
	}
	if from == 0 {
		return s
	}
	b.WriteString(s[from:])
	return b.String()
}

// redactURL redacts one URL as it was written; schemeLen is the length of
// its scheme.
func redactURL(raw string, schemeLen int) string {
	rest := raw[schemeLen+3:]
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return raw
	}
	if u, err := url.Parse(raw); err == nil {
		// Parsed, the URL's own reading says whether an '@' ends user
		// information or sits in the path or query.
		if _, ok := u.User.Password(); !ok {
			return raw
		}
		return u.Redacted()
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 { // a user name alone, which Redacted keeps too
		return raw
	}
	return raw[:schemeLen+3] + rest[:colon+1] + "xxxxx" + rest[at:]
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSchemeByte(c byte) bool {
	return isLetter(c) || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// endsURL tells whether s[i] ends a URL written in text: white space,
// a quote or an angle bracket. A quote escaped by %q (\") is part of a
// password, not its end.
func endsURL(s string, i int) bool {
	switch c := s[i]; c {
	case ' ', '\t', '\n', '\r', '\v', '\f', '\'', '`', '<', '>':
		return true
	case '"':
		return i == 0 || s[i-1] != '\\'
	}
	return false
}

// RedactURLsInError is err with RedactURLs applied to its message; the
// errors it wraps stay reachable through errors.Is and errors.As.
func RedactURLsInError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := RedactURLs(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

// redactKeyInError is err with the key, and every piece of it redact
// finds, taken out of its message; the errors it wraps stay reachable.
func redactKeyInError(err error, key string) error {
	msg := err.Error()
	if red := redact(msg, key); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
