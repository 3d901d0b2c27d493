package client

import (
	"encoding/json"
	"fmt"
	"net/http"
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

// KeyRejected tells whether the API refused the key itself (invalid, expired
// or not allowed), as opposed to an outage: an operator has to act.
func (e *APIError) KeyRejected() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden ||
		e.Code == "api_key_invalid"
}

// RateLimited tells whether the API refused the request for the rate limit.
func (e *APIError) RateLimited() bool { return e.StatusCode == http.StatusTooManyRequests }

// NotFound tells whether the endpoint does not exist, which points at a
// wrong base URL.
func (e *APIError) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// ServerFault tells whether the API failed on its side (5xx).
func (e *APIError) ServerFault() bool { return e.StatusCode >= http.StatusInternalServerError }

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

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "<redacted>")
}
