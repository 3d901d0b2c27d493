package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind names a fault the simulator can inject.
type FaultKind string

// The faults, each as a gateway, a failing API or an API answering in one
// of the ways it may answer would.
//
// Two families exist. Gateway kinds answer in place of the API, before the
// key check, as a proxy or load balancer in front of it would. Page kinds
// (marked "page kind" below) are the API's own 200 answer to an accepted
// request, shaped differently: the method, the key and the parameters are
// checked first, the task set and filters are applied, then the page is
// written in the kind's shape. A page kind served with a Ratio below 1
// shapes only some pages of a listing.
const (
	FaultNone      FaultKind = ""
	Fault429       FaultKind = "429" // rate-limited, with RetryAfter when set
	Fault500       FaultKind = "500" // the API's nested error shape
	Fault502       FaultKind = "502"
	Fault503       FaultKind = "503"
	FaultHTML      FaultKind = "html"      // a gateway's HTML 502 page
	FaultMalformed FaultKind = "malformed" // 200 with broken JSON
	FaultTruncated FaultKind = "truncated" // 200 with a body cut short
	FaultHang      FaultKind = "hang"      // no answer until the client gives up
	FaultStall     FaultKind = "stall"     // headers, then nothing

	// FaultNullLists (page kind) is how an account without tasks may
	// answer: the official spec types data as "list or null" and
	// page_info as "object or null". Body: {"data":null,"page_info":null}.
	FaultNullLists FaultKind = "null-lists"
	// FaultNoPageInfo (page kind) is the normal page with the page_info
	// member left out (the Python SDK models it as optional).
	FaultNoPageInfo FaultKind = "no-page-info"
	// FaultNoTotalPage (page kind) is the normal page whose page_info has
	// only limit_per_page and page: no total_page, no total_results.
	FaultNoTotalPage FaultKind = "no-total-page"
	// FaultUnderstatedTotal (page kind) is a server whose counts lag: every
	// page says total_page 1 and total_results 0 (page keeps the requested
	// number), while later pages still serve their tasks.
	FaultUnderstatedTotal FaultKind = "understated-total"
	// FaultOddLabels (page kind) sends labels a careless upstream writes:
	// each model_name (when the task has one) as " <model>\xff " — a space,
	// the model, the raw byte 0xff (invalid UTF-8, written as is, not
	// escaped) and a space — and status capitalised: "Ready",
	// "PROCESSING", "Failed".
	FaultOddLabels FaultKind = "odd-labels"
	// FaultManyModels (page kind) names each task's model "model-<_id>",
	// so a listing holds as many distinct models as tasks (thousands).
	// Tasks without a model get one too.
	FaultManyModels FaultKind = "many-models"
	// FaultOddFields (page kind) mixes the fields a tolerant decoder must
	// survive, by the task's index i in the API's whole list, newest first
	// (on page 1 of an unfiltered listing, its place on the page), i%10,
	// so that a task reads the same whatever page or window shows it:
	//
	//	0: the duration (video's, else audio's) as a string of its true value, "13.44"
	//	1: the duration as the string "n/a"
	//	2: the duration as the number 1e400 (out of float64's range)
	//	3: the duration as an object {"unit":"s","value":13.44}
	//	4: created_at as a unix time in seconds, a JSON number equal to
	//	   the true creation instant (1732600000.5; no fraction on whole seconds)
	//	5: created_at as "yesterday"
	//	6: model_name as the number 3.5
	//	7: status as null
	//	8: _id as a number (the task id's FNV-1a hash, below 2^53: stable
	//	   across pages and listings)
	//	9: an unknown extra member "segments": an array of 2000 floats
	//
	// Every other field of the task is as usual. A task with neither
	// embedding is left as is in cases 0 to 3.
	FaultOddFields FaultKind = "odd-fields"
	// FaultOddTimestamps (page kind) writes created_at, and v2's
	// updated_at, in valid forms other than the API's usual
	// "2006-01-02T15:04:05.000Z", by the task's index i on the page, i%7:
	//
	//	0: RFC 3339, fraction only when not zero:  2026-11-20T10:00:00Z, 2026-11-20T10:00:00.5Z
	//	1: the same with a lowercase z:             2026-11-20T10:00:00z
	//	2: offset +02:00:                           2026-11-20T12:00:00+02:00
	//	3: offset +0200, no colon:                  2026-11-20T12:00:00+0200
	//	4: a space for the T:                       2026-11-20 10:00:00Z
	//	5: no zone at all, meaning UTC:             2026-11-20T10:00:00
	//	6: a 6-digit fraction:                      2026-11-20T10:00:00.000000Z
	//
	// Forms 0 to 5 carry the fraction only when the instant has one
	// (trailing zeros trimmed), so each denotes the task's true instant;
	// form 6 does for instants in whole microseconds (the simulator's are
	// in milliseconds).
	FaultOddTimestamps FaultKind = "odd-timestamps"
	// FaultOutsideWindow (page kind) is an API that partly ignores
	// started_at/ended_at: the listing holds two tasks outside the
	// request's window besides the window's own: "outside-window-future"
	// created 1 hour after the request's ended_at (now when absent),
	// listed first, and "outside-window-old" created 8 days before it,
	// listed last. Both are ready, model marengo3.0, 60 s of video. They
	// are part of the list as the API sees it: total_results and
	// total_page count them, every page holds at most page_limit items,
	// and no task of the window is left out (it shifts one place down).
	// A status filter other than ready leaves them out.
	FaultOutsideWindow FaultKind = "outside-window"
	// FaultOversizedPage (page kind) is a 200 page of more than 16 MiB:
	// {"data":[{},{},…],"page_info":{…}} with OversizedItems empty items,
	// far more than page_limit; page_info says total_page 1 and
	// total_results OversizedItems. No Content-Length is sent.
	FaultOversizedPage FaultKind = "oversized-page"
	// FaultHugeString (page kind) is a 200 page with one ready task
	// ("_id":"huge00000000000000000000", created a minute ago, 10 s of
	// video) whose model_name is HugeStringBytes (20 MiB) long;
	// page_info says one task.
	FaultHugeString FaultKind = "huge-string"
	// FaultRedirectOffHost is a gateway sending the client elsewhere: 302
	// with Location http://127.0.0.2:<the request's port><path>?<query>&_r=1.
	// A client following it sends its x-api-key to another host.
	FaultRedirectOffHost FaultKind = "redirect-offhost"
	// FaultRedirectSameHost is a 307 to the same path with the query plus
	// _r=1, which the simulator serves normally.
	FaultRedirectSameHost FaultKind = "redirect-samehost"
	// FaultEchoKey is a 401 whose JSON message echoes the x-api-key the
	// request sent: {"code":"api_key_invalid","message":"API Key <key>
	// is either invalid or expired. …","docs_url":"…"}.
	FaultEchoKey FaultKind = "echo-key"
	// FaultEchoKeyLong is a 400 text/plain body of 200 KiB whose line
	// "x-api-key: <key>" puts the key across byte 65536 (64 KiB): its first
	// len(key)/2 bytes before the mark, the rest after, so a client reading
	// at most 64 KiB keeps half a key.
	FaultEchoKeyLong FaultKind = "echo-key-long"
	// FaultRateLimitReset is a 429 without Retry-After but with
	// X-Ratelimit-Limit: 600, X-Ratelimit-Remaining: 0, X-Ratelimit-Used:
	// 600 and X-Ratelimit-Reset: the seconds until the limit resets —
	// Fault.RetryAfter when that is a whole number of seconds, else 1.
	FaultRateLimitReset FaultKind = "ratelimit-reset"
	// FaultNotAllowed is a 403 of the flat shape: {"code":
	// "api_allowed_for_paid_plan","message":"This API is only available
	// on paid plans.","docs_url":"…"}.
	FaultNotAllowed FaultKind = "not-allowed"
	// FaultRegionNotAllowed is a 403 of the nested shape: {"error":
	// {"code":"region_not_allowed","message":"This API is not available
	// in your region."}}.
	FaultRegionNotAllowed FaultKind = "region-not-allowed"
	// FaultHTML200 is a gateway's HTML page (a browser check) with status
	// 200 and Content-Type text/html.
	FaultHTML200 FaultKind = "html-200"
)

// FaultKinds lists every kind but FaultNone, for flags and validation.
var FaultKinds = []FaultKind{
	Fault429, Fault500, Fault502, Fault503, FaultHTML, FaultMalformed, FaultTruncated, FaultHang, FaultStall,
	FaultNullLists, FaultNoPageInfo, FaultNoTotalPage, FaultUnderstatedTotal, FaultOddLabels, FaultManyModels,
	FaultOddFields, FaultOddTimestamps, FaultOutsideWindow, FaultOversizedPage, FaultHugeString,
	FaultRedirectOffHost, FaultRedirectSameHost, FaultEchoKey, FaultEchoKeyLong, FaultRateLimitReset,
	FaultNotAllowed, FaultRegionNotAllowed, FaultHTML200,
}

// ParseFaultKind checks a fault kind's name.
func ParseFaultKind(s string) (FaultKind, error) {
	k := FaultKind(s)
	if k == FaultNone || slices.Contains(FaultKinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("fault kind %q: want one of %s", s, FaultKindNames())
}

// FaultKindNames lists the fault kinds for a message: "429, 500, …".
func FaultKindNames() string {
	names := make([]string, len(FaultKinds))
	for i, k := range FaultKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// Fault is injected into a share of list requests: a gateway kind before
// the key check, as a gateway in front of the API would, a page kind into
// the answer to an accepted request.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Ratio of requests that get the fault, 0 to 1.
	Ratio float64 `json:"ratio"`
	// RetryAfter is sent with 429 when not empty; with ratelimit-reset,
	// its whole seconds are sent as X-Ratelimit-Reset.
	RetryAfter string `json:"retry_after"`
}

// Sizes of the oversized answers.
const (
	// OversizedItems is the number of {} items of an oversized-page: its
	// body is just over 16 MiB.
	OversizedItems = 16<<20/3 + 1
	// HugeStringBytes is the length of a huge-string page's model_name.
	HugeStringBytes = 20 << 20
)

// RedirectParam is the query parameter a redirect fault adds; the
// simulator ignores it, and never redirects a request that carries it, so
// a redirect cannot loop.
const RedirectParam = "_r"

// isPageKind tells the kinds written as the API's own page.
func isPageKind(k FaultKind) bool {
	switch k {
	case FaultNullLists, FaultNoPageInfo, FaultNoTotalPage, FaultUnderstatedTotal, FaultOddLabels, FaultManyModels,
		FaultOddFields, FaultOddTimestamps, FaultOutsideWindow, FaultOversizedPage, FaultHugeString:
		return true
	}
	return false
}

// injectFault answers with a gateway kind's fault; false for a page kind,
// an unknown kind, or a redirect of a request already redirected.
func injectFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case Fault429:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, http.StatusTooManyRequests, "too_many_requests",
			"You have exceeded the rate limit (60 requests per minute). Please try again later after "+f.RetryAfter+".")
	case Fault500, Fault502, Fault503:
		code, _ := strconv.Atoi(string(f.Kind))
		writeNestedError(w, code, "internal_error", http.StatusText(code))
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"))
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"_id":"x","status":}],"page_info":`))
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write([]byte(`{"data":[{"_id":"66f537778d9641fe5a0d101f","model_name":"marengo3.0","status":"ready"`))
	case FaultHang:
		<-r.Context().Done()
	case FaultStall:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":[`))
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		<-r.Context().Done()
	case FaultRedirectOffHost, FaultRedirectSameHost:
		if r.URL.Query().Has(RedirectParam) {
			return false
		}
		q := r.URL.Query()
		q.Set(RedirectParam, "1")
		loc := r.URL.Path + "?" + q.Encode()
		status := http.StatusTemporaryRedirect
		if f.Kind == FaultRedirectOffHost {
			host := "127.0.0.2"
			if _, port, err := net.SplitHostPort(r.Host); err == nil {
				host = net.JoinHostPort(host, port)
			}
			loc = (&url.URL{Scheme: "http", Host: host, Path: r.URL.Path, RawQuery: q.Encode()}).String()
			status = http.StatusFound
		}
		w.Header().Set("Location", loc)
		w.WriteHeader(status)
	case FaultEchoKey:
		writeError(w, http.StatusUnauthorized, "api_key_invalid",
			"API Key "+r.Header.Get("x-api-key")+" is either invalid or expired. Please check your API key and try again.")
	case FaultEchoKeyLong:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(echoKeyLong(r.Header.Get("x-api-key")))
	case FaultRateLimitReset:
		reset := 1
		if n, err := strconv.Atoi(f.RetryAfter); err == nil && n >= 0 {
			reset = n
		}
		h := w.Header()
		h.Set("X-Ratelimit-Limit", "600")
		h.Set("X-Ratelimit-Remaining", "0")
		h.Set("X-Ratelimit-Used", "600")
		h.Set("X-Ratelimit-Reset", strconv.Itoa(reset))
		writeError(w, http.StatusTooManyRequests, "too_many_requests",
			"You have exceeded the rate limit (600 requests per minute). Please try again later after "+strconv.Itoa(reset)+" seconds.")
	case FaultNotAllowed:
		writeError(w, http.StatusForbidden, "api_allowed_for_paid_plan", "This API is only available on paid plans.")
	case FaultRegionNotAllowed:
		writeNestedError(w, http.StatusForbidden, "region_not_allowed", "This API is not available in your region.")
	case FaultHTML200:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(html200))
	default:
		return false
	}
	return true
}

const html200 = `<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>
<body><div class="main-wrapper"><h1>api.twelvelabs.io</h1><h2>Checking if the site connection is secure</h2>
<p>api.twelvelabs.io needs to review the security of your connection before proceeding.</p></div></body></html>
`

// echoKeyLong is 200 KiB of text in which the key sits across the 64 KiB
// mark.
func echoKeyLong(key string) []byte {
	const size, mark = 200 << 10, 64 << 10
	const intro = "x-api-key: "
	line := "upstream rejected the request: the credentials below are not valid for this route\n"
	start := max(mark-len(key)/2, len(intro)+1) // where the key starts
	b := make([]byte, 0, max(size, start+len(key)+1))
	for len(b) < start-len(intro)-1 {
		b = append(b, line...)
	}
	b = append(b[:start-len(intro)-1], '\n')
	b = append(b, intro...)
	b = append(b, key...)
	b = append(b, '\n')
	for len(b) < size {
		b = append(b, line...)
	}
	return b[:max(size, start+len(key)+1)]
}

// The cached large bodies, built on first use.
var (
	oversizedData = sync.OnceValue(func() []byte {
		b := make([]byte, 0, 9+3*OversizedItems)
		b = append(b, `{"data":[`...)
		for i := range OversizedItems {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "{}"...)
		}
		return append(b, ']')
	})
	hugeModel = sync.OnceValue(func() []byte {
		return bytes.Repeat([]byte("marengo3.0"), HugeStringBytes/10+1)[:HugeStringBytes]
	})
	segments = sync.OnceValue(func() json.RawMessage {
		rng := rand.New(rand.NewPCG(3, 4))
		b := []byte{'['}
		for i := range 2000 {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, rng.NormFloat64()/10, 'f', 7, 64)
		}
		return append(b, ']')
	})
)

// writeOversized streams the cached 16 MiB of data, then page_info.
func writeOversized(w http.ResponseWriter, q listQuery) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(oversizedData())
	info, _ := json.Marshal(wirePageInfo{LimitPerPage: q.limit, Page: q.page, TotalPage: 1, TotalResults: OversizedItems})
	_, _ = w.Write(append(append([]byte(`,"page_info":`), info...), "}\n"...))
}

// writeHugeString streams one task whose model_name is the cached 20 MiB.
func writeHugeString(w http.ResponseWriter, q listQuery, now time.Time) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	created := now.Add(-time.Minute).UTC().Format(isoMillis)
	_, _ = w.Write([]byte(`{"data":[{"_id":"huge00000000000000000000","model_name":"`))
	_, _ = w.Write(hugeModel())
	info, _ := json.Marshal(wirePageInfo{LimitPerPage: q.limit, Page: q.page, TotalPage: 1, TotalResults: 1})
	_, _ = fmt.Fprintf(w, `","status":"ready","created_at":%q,"video_embedding":{"metadata":{"input_filename":"huge.mp4",`+
		`"video_clip_length":6,"video_embedding_scope":["clip"],"duration":10}}}],"page_info":%s}`+"\n", created, info)
}

// outsideWindow makes the two tasks an outside-window listing adds, oldest
// first, around the request's end (now when it has none).
func outsideWindow(q listQuery, now time.Time) [2]Task {
	end := q.endedAt
	if end.IsZero() {
		end = now
	}
	mk := func(id string, created time.Time) Task {
		return Task{ID: id, Model: "marengo3.0", Status: "ready", Created: created, Updated: created.Add(time.Minute),
			VideoSeconds: 60, AudioSeconds: -1, Filename: id + ".mp4"}
	}
	return [2]Task{
		mk("outside-window-old", end.Add(-8*24*time.Hour).Truncate(time.Millisecond)),
		mk("outside-window-future", end.Add(time.Hour).Truncate(time.Millisecond)),
	}
}

// member is one member of a JSON object written in order; a
// json.RawMessage value is written as is, even when not valid UTF-8.
type member struct {
	name  string
	value any
}

type object []member

func (o *object) set(name string, v any) {
	for i := range *o {
		if (*o)[i].name == name {
			(*o)[i].value = v
			return
		}
	}
	*o = append(*o, member{name, v})
}

func (o object) get(name string) (any, bool) {
	for _, m := range o {
		if m.name == name {
			return m.value, true
		}
	}
	return nil, false
}

func (o object) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, m.name)
		b = append(b, ':')
		raw, ok := m.value.(json.RawMessage)
		if !ok {
			var err error
			if raw, err = json.Marshal(m.value); err != nil {
				raw = json.RawMessage("null")
			}
		}
		b = append(b, raw...)
	}
	return append(b, '}')
}

func taskObject(wt *wireTask) object {
	o := object{{"_id", wt.ID}}
	if wt.ModelName != "" {
		o = append(o, member{"model_name", wt.ModelName})
	}
	o = append(o, member{"status", wt.Status}, member{"created_at", wt.CreatedAt})
	if wt.UpdatedAt != "" {
		o = append(o, member{"updated_at", wt.UpdatedAt})
	}
	if wt.Video != nil {
		o = append(o, member{"video_embedding", wt.Video})
	}
	if wt.Audio != nil {
		o = append(o, member{"audio_embedding", wt.Audio})
	}
	return o
}

// setDuration replaces the duration of the video embedding, else the
// audio one; false when the task has neither.
func (o object) setDuration(v any) bool {
	for _, name := range []string{"video_embedding", "audio_embedding"} {
		emb, ok := o.get(name)
		if !ok {
			continue
		}
		raw, _ := json.Marshal(emb)
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&m) != nil {
			continue
		}
		md, _ := m["metadata"].(map[string]any)
		if md == nil {
			continue
		}
		md["duration"] = v
		o.set(name, m)
		return true
	}
	return false
}

var capitalised = map[string]string{"ready": "Ready", "processing": "PROCESSING", "failed": "Failed"}

// odd-timestamps' forms, by index on the page.
var (
	plus2   = time.FixedZone("+02:00", 2*3600)
	tsForms = []func(time.Time) string{
		func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999999Z07:00") },
		func(t time.Time) string {
			return strings.TrimSuffix(t.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"), "Z") + "z"
		},
		func(t time.Time) string { return t.In(plus2).Format("2006-01-02T15:04:05.999999999-07:00") },
		func(t time.Time) string { return t.In(plus2).Format("2006-01-02T15:04:05.999999999-0700") },
		func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999999Z07:00") },
		func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999999") },
		func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") },
	}
)

// unixSeconds writes t as a decimal number of seconds since the epoch,
// exactly: 1732600000.5.
func unixSeconds(t time.Time) string {
	ns := t.UnixNano()
	s := strconv.FormatInt(ns/1e9, 10)
	if frac := ns % 1e9; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
	}
	return s
}

// idNumber is a task id as a JSON-safe integer, stable for the id.
func idNumber(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64() & (1<<53 - 1)
}

// shapeTask writes the i-th task of a page in a page kind's shape.
func shapeTask(b []byte, kind FaultKind, api string, t *Task, i int, now time.Time) []byte {
	wt := toWire(api, t, now)
	o := taskObject(&wt)
	switch kind {
	case FaultOddLabels:
		if wt.ModelName != "" {
			q, _ := json.Marshal(" " + wt.ModelName)
			o.set("model_name", json.RawMessage(append(q[:len(q)-1:len(q)-1], "\xff \""...)))
		}
		if c, ok := capitalised[wt.Status]; ok {
			o.set("status", c)
		}
	case FaultManyModels:
		o.set("model_name", "model-"+t.ID)
	case FaultOddFields:
		d := t.VideoSeconds
		if wt.Video == nil {
			d = t.AudioSeconds
		}
		switch i % 10 {
		case 0:
			o.setDuration(strconv.FormatFloat(d, 'f', -1, 64))
		case 1:
			o.setDuration("n/a")
		case 2:
			o.setDuration(json.RawMessage("1e400"))
		case 3:
			o.setDuration(map[string]any{"value": d, "unit": "s"})
		case 4:
			o.set("created_at", json.RawMessage(unixSeconds(t.Created)))
		case 5:
			o.set("created_at", "yesterday")
		case 6:
			o.set("model_name", json.RawMessage("3.5"))
		case 7:
			o.set("status", json.RawMessage("null"))
		case 8:
			o.set("_id", json.RawMessage(strconv.FormatUint(idNumber(t.ID), 10)))
		case 9:
			o.set("segments", segments())
		}
	case FaultOddTimestamps:
		form := tsForms[i%len(tsForms)]
		o.set("created_at", form(t.Created))
		if wt.UpdatedAt != "" {
			o.set("updated_at", form(t.Updated))
		}
	}
	return o.appendJSON(b)
}

// rankOf is each task's index in all (oldest first) counted from the
// newest: a task's place in the API's whole list, the same on every page
// and in every window that shows it.
func rankOf(all []Task, tasks []Task) []int {
	ranks := make([]int, len(tasks))
	for k := range tasks {
		i, _ := slices.BinarySearchFunc(all, tasks[k].Created, func(t Task, c time.Time) int { return t.Created.Compare(c) })
		for i < len(all) && all[i].ID != tasks[k].ID && all[i].Created.Equal(tasks[k].Created) {
			i++
		}
		ranks[k] = len(all) - 1 - i
	}
	return ranks
}

// writeShapedPage writes a page kind's page of tasks (newest first); ranks
// are their places in the API's whole list.
func writeShapedPage(w http.ResponseWriter, kind FaultKind, api string, tasks []Task, ranks []int, info wirePageInfo, now time.Time) {
	b := make([]byte, 0, 1024*(len(tasks)+1))
	if kind == FaultNullLists {
		b = append(b, `{"data":null,"page_info":null}`...)
	} else {
		b = append(b, `{"data":[`...)
		for i := range tasks {
			if i > 0 {
				b = append(b, ',')
			}
			b = shapeTask(b, kind, api, &tasks[i], ranks[i], now)
		}
		b = append(b, ']')
		var pi any = info
		switch kind {
		case FaultNoPageInfo:
			pi = nil
		case FaultNoTotalPage:
			pi = map[string]int{"limit_per_page": info.LimitPerPage, "page": info.Page}
		case FaultUnderstatedTotal:
			pi = wirePageInfo{LimitPerPage: info.LimitPerPage, Page: info.Page, TotalPage: 1, TotalResults: 0}
		}
		if pi != nil {
			raw, _ := json.Marshal(pi)
			b = append(b, `,"page_info":`...)
			b = append(b, raw...)
		}
		b = append(b, '}')
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(b, '\n'))
}
