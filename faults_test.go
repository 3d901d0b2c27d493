package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// faultFunc answers a request in place of the API, and says so; n is the
// request's number (from 1) on its endpoint.
type faultFunc func(w http.ResponseWriter, r *http.Request, n int) bool

// faultAPI serves the healthy simulator until a fault handler is set; the
// fault handler sees each request's number (from 1) on its endpoint.
type faultAPI struct {
	sim   *simulator.Server
	fault atomic.Pointer[faultFunc]
	mu    sync.Mutex
	n     map[string]int // requests by path
}

func (f *faultAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[r.URL.Path]++
	n := f.n[r.URL.Path]
	f.mu.Unlock()
	if h := f.fault.Load(); h != nil && (*h)(w, r, n) {
		return
	}
	f.sim.ServeHTTP(w, r)
}

func (f *faultAPI) set(h faultFunc) { f.fault.Store(&h) }

func reply(w http.ResponseWriter, status int, header map[string]string, body string) bool {
	for k, v := range header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
	return true
}

// firstN answers the first k requests with the fault, the rest healthy.
func firstN(k int, status int, header map[string]string, body string) faultFunc {
	return func(w http.ResponseWriter, _ *http.Request, n int) bool {
		return n <= k && reply(w, status, header, body)
	}
}

func always(status int, header map[string]string, body string) faultFunc {
	return firstN(1<<30, status, header, body)
}

// onPage rewrites the healthy answer of one API's pages.
func rewrite(sim *simulator.Server, edit func(r *http.Request, page int, body []byte) []byte) faultFunc {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(edit(r, page, rec.Body.Bytes()))
		return true
	}
}

const faultKey = "tlk_fault_matrix_8f7e6d5c4b3a2910"

type faultRow struct {
	name string
	// apis listed; the fault applies to every request unless v1Only.
	fault  func(api *faultAPI) faultFunc
	v1Only bool
	args   []string
	// basePath replaces the API's version path, as a wrong --twelvelabs.url would.
	basePath string
	// expectations for v1 (and v2 unless v1Only)
	up        float64
	codes     map[string]float64 // exact request counts by code for v1
	logHas    string
	scrapeMax time.Duration
	tasks     int    // when up: tasks exported for v1 (0: as the simulator has)
	noTasks   bool   // when up: an empty listing
	reason    string // when not up: the reason counted for v1
	// malformed: twelvelabs_exporter_malformed_fields_total for v1, by field
	malformed map[string]float64
	// check, when set, looks further at the first scrape.
	check   func(t *testing.T, sim *simulator.Server, mfs map[string]*dto.MetricFamily, logs string)
	timeout string // X-Prometheus-Scrape-Timeout-Seconds; 2.5 when empty
}

func TestFaultMatrix(t *testing.T) {
	const n = 120 // 3 pages
	// verify is what confirms a listing of more than one page: the
	// API's count of each status (processing, failed, ready).
	const verify = 3
	dateIn1s := func() string { return time.Now().Add(time.Second).UTC().Format(http.TimeFormat) }
	rows := []faultRow{
		{name: "401 invalid key", fault: func(*faultAPI) faultFunc {
			return always(401, nil, `{"code":"api_key_invalid","message":"API Key is either invalid or expired.","docs_url":"https://x"}`)
		}, up: 0, reason: "key_rejected", codes: map[string]float64{"401": 1}, logHas: "HTTP 401 api_key_invalid: API Key is either invalid or expired."},
		{name: "403 nested shape", fault: func(*faultAPI) faultFunc {
			return always(403, nil, `{"error":{"code":"api_not_allowed","message":"Not allowed on this plan."}}`)
		}, up: 0, reason: "not_allowed", codes: map[string]float64{"403": 1}, logHas: "HTTP 403 api_not_allowed: Not allowed on this plan."},
		{name: "400 flat shape", fault: func(*faultAPI) faultFunc {
			return always(400, nil, `{"code":"parameter_invalid","message":"page_limit is invalid"}`)
		}, up: 0, reason: "bad_request", codes: map[string]float64{"400": 1}, logHas: "HTTP 400 parameter_invalid: page_limit is invalid"},
		{name: "400 nested shape", fault: func(*faultAPI) faultFunc {
			return always(400, nil, `{"error":{"code":"parameter_unknown","message":"unknown parameter x"}}`)
		}, up: 0, reason: "bad_request", codes: map[string]float64{"400": 1}, logHas: "HTTP 400 parameter_unknown: unknown parameter x"},
		{name: "400 HTML body", fault: func(*faultAPI) faultFunc {
			return always(400, map[string]string{"Content-Type": "text/html"}, "<html><body><h1>400 Bad Request</h1></body></html>")
		}, up: 0, reason: "bad_request", codes: map[string]float64{"400": 1}, logHas: "HTTP 400: non-JSON body: 400 Bad Request"},
		{name: "404 wrong base URL", basePath: "/v1.2", up: 0, reason: "bad_request", codes: map[string]float64{"404": 1},
			logHas: "check --twelvelabs.url"},
		{name: "429 Retry-After seconds, then healthy", fault: func(*faultAPI) faultFunc {
			return firstN(1, 429, map[string]string{"Retry-After": "1"}, `{"code":"too_many_requests","message":"slow down"}`)
		}, up: 1, codes: map[string]float64{"429": 1, "200": 3 + verify}},
		{name: "429 Retry-After HTTP date, then healthy", fault: func(*faultAPI) faultFunc {
			return func(w http.ResponseWriter, _ *http.Request, n int) bool {
				return n == 1 && reply(w, 429, map[string]string{"Retry-After": dateIn1s()}, `{"code":"too_many_requests","message":"slow down"}`)
			}
		}, up: 1, codes: map[string]float64{"429": 1, "200": 3 + verify}},
		{name: "429 without Retry-After, then healthy", fault: func(*faultAPI) faultFunc {
			return firstN(1, 429, nil, `{"code":"too_many_requests","message":"slow down"}`)
			// The wait is 1 to 2 s (jittered): the scrape's timeout leaves
			// room for it and the pages after it on a loaded machine.
		}, up: 1, codes: map[string]float64{"429": 1, "200": 3 + verify}, timeout: "6"},
		{name: "429 Retry-After past the deadline", fault: func(*faultAPI) faultFunc {
			return always(429, map[string]string{"Retry-After": "3600"}, `{"code":"too_many_requests","message":"slow down"}`)
		}, up: 0, reason: "rate_limited", codes: map[string]float64{"429": 1}, logHas: "would pass the listing's deadline", scrapeMax: 1500 * time.Millisecond},
		{name: "500 then healthy", fault: func(*faultAPI) faultFunc {
			return firstN(1, 500, nil, `{"error":{"code":"internal_error","message":"oops"}}`)
		}, up: 1, codes: map[string]float64{"500": 1, "200": 3 + verify}},
		{name: "502 twice then healthy", fault: func(*faultAPI) faultFunc {
			return firstN(2, 502, map[string]string{"Content-Type": "text/html"}, "<html>502 Bad Gateway</html>")
		}, up: 1, codes: map[string]float64{"502": 2, "200": 3 + verify}},
		{name: "503 persistently", fault: func(*faultAPI) faultFunc {
			return always(503, nil, "")
		}, up: 0, reason: "server_error", codes: map[string]float64{"503": 3}, logHas: "HTTP 503: empty body (Service Unavailable)"},
		{name: "malformed JSON", fault: func(*faultAPI) faultFunc {
			return always(200, nil, `{"data":[{"_id":"x","status":}]`)
		}, up: 0, reason: "malformed", codes: map[string]float64{"200": 1}, logHas: "malformed page"},
		{name: "truncated body", fault: func(*faultAPI) faultFunc {
			return always(200, map[string]string{"Content-Length": "5000"}, `{"data":[{"_id":"x"`)
		}, up: 0, reason: "transport", codes: map[string]float64{"200": 3}, logHas: "unexpected EOF"},
		{name: "a duration that is not a number counts the task, not the field", fault: func(f *faultAPI) faultFunc {
			return rewrite(f.sim, func(_ *http.Request, _ int, b []byte) []byte {
				return bytes.Replace(b, []byte(`"duration":`), []byte(`"duration":"n/a"`+`,"x":`), 1)
			})
		}, up: 1, codes: map[string]float64{"200": 3 + verify}, malformed: map[string]float64{"video_embedding.metadata.duration": 3}},
		{name: "page_info missing on an empty list", fault: func(*faultAPI) faultFunc {
			return always(200, nil, `{"data":[]}`)
		}, up: 1, codes: map[string]float64{"200": 1}, noTasks: true},
		{name: "an account without tasks answers null", fault: func(*faultAPI) faultFunc {
			return always(200, nil, `{"data":null,"page_info":null}`)
		}, up: 1, codes: map[string]float64{"200": 1}, noTasks: true},
		{name: "body larger than the limit", fault: func(*faultAPI) faultFunc {
			return always(200, nil, `{"data":[],"pad":"`+strings.Repeat("x", client.DefaultMaxBodyBytes+10)+`"}`)
		}, up: 0, reason: "too_large", codes: map[string]float64{"200": 1}, logHas: "a JSON value is too long",
			timeout: "20"}, // 16 MiB a page, read under -race on a busy machine
		{name: "total_page absurd", fault: func(*faultAPI) faultFunc {
			return always(200, nil, `{"data":[{"_id":"a","status":"ready"}],"page_info":{"limit_per_page":50,"page":1,"total_page":999999999,"total_results":1}}`)
		}, up: 0, reason: "too_large", codes: map[string]float64{"200": 1}, logHas: "more than the cap"},
		{name: "total_page understated, total_results right", fault: func(f *faultAPI) faultFunc {
			return rewrite(f.sim, func(_ *http.Request, _ int, b []byte) []byte {
				return bytes.Replace(b, []byte(`"total_page":3`), []byte(`"total_page":1`), 1)
			})
		}, up: 1, codes: map[string]float64{"200": 3 + verify}, tasks: n},
		{name: "empty page before total_page", fault: func(f *faultAPI) faultFunc {
			return rewrite(f.sim, func(_ *http.Request, page int, b []byte) []byte {
				if page == 3 {
					return []byte(`{"data":[],"page_info":{"limit_per_page":50,"page":3,"total_page":3,"total_results":120}}`)
				}
				return b
			})
		}, up: 0, reason: "malformed", logHas: "inconsistent paging"}, // an empty page with an unchanged total is not the end
		{name: "duplicate _ids across pages", fault: func(f *faultAPI) faultFunc {
			return rewrite(f.sim, func(r *http.Request, page int, b []byte) []byte {
				if page == 2 { // page 2 repeats page 1
					rec := httptest.NewRecorder()
					req := httptest.NewRequest(http.MethodGet, r.URL.Path+"?page=1&page_limit=50", nil)
					req.Header.Set("x-api-key", faultKey)
					f.sim.ServeHTTP(rec, req)
					return rec.Body.Bytes()
				}
				return b
			})
		}, up: 1, codes: map[string]float64{"200": 3 + 1 + verify + 2}, tasks: n}, // the pass reads 70 distinct of 120 counted: the oldest page's range and the rest, asked again
		{name: "tasks shift between pages during the listing", fault: func(f *faultAPI) faultFunc {
			var once sync.Map
			return func(w http.ResponseWriter, r *http.Request, _ int) bool {
				// Before page 2 of each API, a task arrives inside the
				// window: every later page starts one task earlier.
				if r.URL.Query().Get("page") == "2" {
					api := "v1"
					if strings.Contains(r.URL.Path, "v2") {
						api = "v2"
					}
					if _, done := once.LoadOrStore(api, true); !done {
						f.sim.AddTasks(api, simulator.Task{ID: "late-" + api, Model: "marengo3.0", Status: "processing",
							Created: time.Now().Add(-3 * time.Second), VideoSeconds: 1, AudioSeconds: -1})
					}
				}
				return false
			}
		}, up: 1, tasks: n + 1}, // the requests depend on which page the late task shifts: the counts find it either way
		{name: "one API failing, the other healthy", v1Only: true, fault: func(*faultAPI) faultFunc {
			return func(w http.ResponseWriter, r *http.Request, _ int) bool {
				return strings.HasSuffix(r.URL.Path, "/embed/tasks") && reply(w, 503, nil, `{"code":"unavailable","message":"down"}`)
			}
		}, up: 0, reason: "server_error", codes: map[string]float64{"503": 3}, logHas: "HTTP 503 unavailable: down"},
		// The simulator's answers as real servers and gateways give them.
		{name: "sim: an account without tasks answers null", fault: simKind(simulator.FaultNullLists), up: 1, noTasks: true,
			codes: map[string]float64{"200": 1}},
		{name: "sim: no page_info, pages read while full", fault: simKind(simulator.FaultNoPageInfo), up: 1, codes: map[string]float64{"200": 3}},
		{name: "sim: page_info without totals", fault: simKind(simulator.FaultNoTotalPage), up: 1, codes: map[string]float64{"200": 3}},
		{name: "sim: total_page 1 and total_results 0 while pages are full", fault: simKind(simulator.FaultUnderstatedTotal), up: 1,
			codes: map[string]float64{"200": 3}},
		{name: "sim: invalid UTF-8 and capitalised statuses", fault: simKind(simulator.FaultOddLabels), up: 1, codes: map[string]float64{"200": 3 + verify},
			check: func(t *testing.T, _ *simulator.Server, mfs map[string]*dto.MetricFamily, _ string) {
				for _, m := range mfs["twelvelabs_embed_tasks"].GetMetric() {
					for _, lp := range m.GetLabel() {
						if v := lp.GetValue(); !utf8.ValidString(v) || v != strings.TrimSpace(v) || (lp.GetName() == "status" && v != strings.ToLower(v)) {
							t.Errorf("label %s=%q: want valid, trimmed and, for status, lower case", lp.GetName(), v)
						}
					}
				}
			}},
		{name: "sim: a distinct model name per task", fault: simKind(simulator.FaultManyModels), up: 1, args: []string{"--twelvelabs.max-models=20"},
			check: func(t *testing.T, _ *simulator.Server, mfs map[string]*dto.MetricFamily, logs string) {
				models := map[string]bool{}
				for _, m := range mfs["twelvelabs_embed_tasks"].GetMetric() {
					l := map[string]string{}
					for _, lp := range m.GetLabel() {
						l[lp.GetName()] = lp.GetValue()
					}
					if l["api"] == "v1" {
						models[l["model_name"]] = true
					}
				}
				if len(models) != 21 || !models["other"] {
					t.Errorf("%d model names exported, want 20 and other", len(models))
				}
				if got, _ := testproc.Value(mfs, "twelvelabs_exporter_folded_label_values", map[string]string{"api": "v1", "label": "model_name"}); got != n-20 {
					t.Errorf("folded model names %v, want %d", got, n-20)
				}
				if strings.Count(logs, "too many distinct label values") != 2 {
					t.Errorf("the fold should be logged once per API:\n%s", logs)
				}
			}},
		{name: "sim: odd fields count the task", fault: simKind(simulator.FaultOddFields), up: 1, // tasks without a readable created_at and status make counts disagree: found again by narrowing
			malformed: map[string]float64{"video_embedding.metadata.duration": 36, "created_at": 12, "model_name": 12, "_id": 0, "status": 0},
			timeout:   "10"}, // the narrowing's requests under -race: 2.5 s left v2 unlisted on a loaded machine (twice, make test)
		{name: "sim: timestamps in every form servers write", fault: simKind(simulator.FaultOddTimestamps), up: 1, codes: map[string]float64{"200": 3 + verify},
			check: exactly, malformed: map[string]float64{"created_at": 0}},
		{name: "sim: tasks outside the window asked for", fault: simKind(simulator.FaultOutsideWindow), up: 1, // the leaks make the counts disagree: the ranges with them are read
			check: exactly},
		{name: "sim: 16 MiB of tiny items", fault: simKind(simulator.FaultOversizedPage), up: 0, reason: "too_large", codes: map[string]float64{"200": 1},
			timeout: "20"}, // 16 MiB a page, read under -race on a busy machine (2.5 s: not finished by the deadline, once in make test)
		{name: "sim: a 20 MiB model name", fault: simKind(simulator.FaultHugeString), up: 0, reason: "too_large", codes: map[string]float64{"200": 1},
			timeout: "20"}, // 20 MiB, as above (2.5 s: not finished by the deadline, once in make test)
		{name: "sim: redirect to another host", fault: simKind(simulator.FaultRedirectOffHost), up: 0, reason: "transport",
			codes: map[string]float64{"302": 1}, logHas: "redirect refused"},
		{name: "sim: redirect on the same host", fault: simKind(simulator.FaultRedirectSameHost), up: 1},
		{name: "sim: ignores the status filter", fault: func(f *faultAPI) faultFunc {
			if err := f.sim.SetBehaviour(simulator.Behaviour{IgnoresStatusFilter: true}); err != nil {
				panic(err)
			}
			return func(http.ResponseWriter, *http.Request, int) bool { return false }
		}, up: 0, reason: "malformed", logHas: "it ignores the status filter"},
		{name: "sim: a 401 echoing the key", fault: simKind(simulator.FaultEchoKey), up: 0, reason: "key_rejected", codes: map[string]float64{"401": 1}},
		{name: "sim: a long body with the key across the read limit", fault: simKind(simulator.FaultEchoKeyLong), up: 0, reason: "bad_request",
			codes: map[string]float64{"400": 1}},
		{name: "sim: 429 with X-Ratelimit-Reset past the listing's deadline", fault: simKindRetry(simulator.FaultRateLimitReset, "30"), up: 0,
			reason: "rate_limited", codes: map[string]float64{"429": 1}, args: []string{"--twelvelabs.timeout=5s"}, scrapeMax: time.Second},
		{name: "sim: 403 plan not allowed is not a rejected key", fault: simKind(simulator.FaultNotAllowed), up: 0, reason: "not_allowed",
			codes: map[string]float64{"403": 1}, check: notRotate},
		{name: "sim: 403 region not allowed", fault: simKind(simulator.FaultRegionNotAllowed), up: 0, reason: "not_allowed",
			codes: map[string]float64{"403": 1}, check: notRotate},
		{name: "sim: a gateway's HTML page with 200", fault: simKind(simulator.FaultHTML200), up: 0, reason: "malformed", codes: map[string]float64{"200": 1}},
		{name: "hang: never answers", fault: func(*faultAPI) faultFunc {
			return func(w http.ResponseWriter, r *http.Request, _ int) bool { <-r.Context().Done(); return true }
		}, args: []string{"--twelvelabs.request-timeout=300ms", "--twelvelabs.retries=1"}, up: 0, reason: "timeout", scrapeMax: 2300 * time.Millisecond}, // the scrape's deadline is 2 s
		{name: "stall: headers, then nothing", fault: func(*faultAPI) faultFunc {
			return func(w http.ResponseWriter, r *http.Request, _ int) bool {
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(`{"data":[`))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return true
			}
		}, args: []string{"--twelvelabs.request-timeout=300ms", "--twelvelabs.retries=1"}, up: 0, reason: "timeout", scrapeMax: 2300 * time.Millisecond}, // the scrape's deadline is 2 s
	}

	keyFile := filepath.Join(t.TempDir(), "api-key")
	if err := os.WriteFile(keyFile, []byte(faultKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var everything strings.Builder // logs, errors, metrics and pages, searched for the key at the end
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			sim := simulator.New(faultKey)
			now := time.Now().Add(-2 * time.Second) // inside the window, which ends at the last whole second
			for i, api := range []string{"v1", "v2"} {
				sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{Seed: uint64(i + 1), N: n, Now: now, API: api}))
			}
			api := &faultAPI{sim: sim}
			if row.fault != nil {
				api.set(row.fault(api))
			}
			srv := httptest.NewServer(api)
			defer srv.Close()
			base := srv.URL + simulator.BasePath
			if row.basePath != "" {
				base = srv.URL + row.basePath
			}
			args := append([]string{"--twelvelabs.api-key-file=" + keyFile}, row.args...)
			logs := &testproc.SyncBuffer{}
			h := faultHandler(t, base, logs, args...)

			start := time.Now()
			timeout := row.timeout
			if timeout == "" {
				timeout = "2.5"
			}
			code, body, _ := serve(h, map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": timeout})
			took := time.Since(start)
			everything.WriteString(logs.String() + body)
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: the exporter must keep serving", code)
			}
			if row.scrapeMax > 0 && took > row.scrapeMax {
				t.Errorf("scrape took %v, want at most %v", took, row.scrapeMax)
			}
			mfs := testproc.ParseMetrics(t, body)
			apisWithFault := []string{"v1", "v2"}
			if row.v1Only {
				apisWithFault = []string{"v1"}
				if up, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": "v2"}); up != 1 {
					t.Errorf("v2 should be unaffected: up %v", up)
				}
			}
			wantTasks := row.tasks
			if wantTasks == 0 && !row.noTasks {
				wantTasks = n
			}
			for _, a := range apisWithFault {
				up, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": a})
				if up != row.up {
					t.Errorf("twelvelabs_up{api=%q} = %v, want %v", a, up, row.up)
				}
				tasks := testproc.Sum(mfs, "twelvelabs_embed_tasks", "api", a)
				switch {
				case row.up == 0 && tasks != 0:
					t.Errorf("%s: %v tasks exported by a failed listing, want none", a, tasks)
				case row.up == 1 && tasks != float64(wantTasks):
					t.Errorf("%s: %v tasks exported, want %d", a, tasks, wantTasks)
				}
			}
			if row.reason != "" {
				if got, _ := testproc.Value(mfs, "twelvelabs_exporter_listing_failures_total", map[string]string{"api": "v1", "reason": row.reason}); got != 1 {
					t.Errorf("listing_failures_total{api=v1,reason=%s} = %v, want 1", row.reason, got)
				}
			}
			for f, want := range row.malformed {
				if got, _ := testproc.Value(mfs, "twelvelabs_exporter_malformed_fields_total", map[string]string{"api": "v1", "field": f}); got != want {
					t.Errorf("malformed_fields_total{api=v1,field=%s} = %v, want %v", f, got, want)
				}
			}
			if row.check != nil {
				row.check(t, sim, mfs, logs.String())
			}
			for c, want := range row.codes {
				if got, _ := testproc.Value(mfs, "twelvelabs_exporter_api_requests_total", map[string]string{"api": "v1", "code": c}); got != want {
					t.Errorf("requests{api=v1,code=%s} = %v, want %v", c, got, want)
				}
			}
			failLines := strings.Count(logs.String(), `msg="listing failed" api=v1 `)
			if row.up == 0 && failLines != 1 {
				t.Errorf("%d \"listing failed\" lines for v1, want one:\n%s", failLines, logs)
			}
			if row.up == 1 && failLines != 0 {
				t.Errorf("a successful listing logged a failure:\n%s", logs)
			}
			if row.logHas != "" && !strings.Contains(logs.String(), row.logHas) {
				t.Errorf("log lacks %q:\n%s", row.logHas, logs)
			}

			// The API heals: a scrape recovers fully, within a few tries for
			// a listing that was still hung in the background.
			api.fault.Store(nil)
			sim.SetFault(simulator.Fault{})
			if err := sim.SetBehaviour(simulator.Behaviour{}); err != nil {
				t.Fatal(err)
			}
			if row.basePath != "" {
				return
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, body, _ = serve(h, map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "5"})
				everything.WriteString(body)
				mfs = testproc.ParseMetrics(t, body)
				v1, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": "v1"})
				v2, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": "v2"})
				if v1 == 1 && v2 == 1 && testproc.Sum(mfs, "twelvelabs_embed_tasks", "api", "v1") == float64(len(sim.Tasks("v1"))) && testproc.Sum(mfs, "twelvelabs_embed_tasks", "api", "v2") == float64(len(sim.Tasks("v2"))) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no full recovery after the API healed: up v1 %v v2 %v", v1, v2)
				}
				time.Sleep(100 * time.Millisecond)
			}
			everything.WriteString(logs.String())
		})
	}
	for i := 0; i+8 <= len(faultKey); i++ {
		if strings.Contains(everything.String(), faultKey[i:i+8]) {
			t.Errorf("a fragment of the API key (%q) appears in a log line, an error or a metric", faultKey[i:i+8])
			break
		}
	}
	if everything.Len() < 10000 {
		t.Errorf("only %d bytes of output searched for the key", everything.Len())
	}
}

// faultHandler is the exporter in-process, logging to logs; the key comes
// from the key file among args.
func faultHandler(t *testing.T, base string, logs *testproc.SyncBuffer, args ...string) http.Handler {
	t.Helper()
	return wired(t, logs, func(string) (string, bool) { return "", false }, append([]string{"--twelvelabs.url=" + base}, args...)...)
}

// simKind has the simulator answer every request with one of its kinds.
func simKind(kind simulator.FaultKind) func(*faultAPI) faultFunc {
	return simKindRetry(kind, "")
}

func simKindRetry(kind simulator.FaultKind, retryAfter string) func(*faultAPI) faultFunc {
	return func(f *faultAPI) faultFunc {
		f.sim.SetFault(simulator.Fault{Kind: kind, Ratio: 1, RetryAfter: retryAfter})
		return func(http.ResponseWriter, *http.Request, int) bool { return false }
	}
}

// exactly checks every series of v1 against the simulator's own aggregate.
func exactly(t *testing.T, sim *simulator.Server, mfs map[string]*dto.MetricFamily, _ string) {
	t.Helper()
	for k, g := range simulator.Aggregate(sim.Tasks(simulator.V1), simulator.V1, time.Time{}, time.Time{}, time.Now()) {
		l := map[string]string{"api": "v1", "model_name": k.Model, "status": k.Status}
		if got, _ := testproc.Value(mfs, "twelvelabs_embed_tasks", l); got != float64(g.Tasks) {
			t.Errorf("tasks%v = %v, want %d", l, got, g.Tasks)
		}
		if got, _ := testproc.Value(mfs, "twelvelabs_embed_tasks_video_duration_seconds", l); got != float64(g.VideoNanos)/1e9 {
			t.Errorf("video%v = %v, want %v", l, got, float64(g.VideoNanos)/1e9)
		}
		if got, _ := testproc.Value(mfs, "twelvelabs_embed_tasks_oldest_created_timestamp_seconds", l); got != float64(g.Oldest.UnixMicro())/1e6 {
			t.Errorf("oldest%v = %v, want %v", l, got, float64(g.Oldest.UnixMicro())/1e6)
		}
	}
}

// notRotate: a plan or region refusal must not be taken for a bad key.
func notRotate(t *testing.T, _ *simulator.Server, _ map[string]*dto.MetricFamily, logs string) {
	t.Helper()
	if strings.Contains(logs, "rotate") || !strings.Contains(logs, "reason=not_allowed") {
		t.Errorf("a 403 for the plan or region must say not_allowed and never \"rotate\":\n%s", logs)
	}
}
