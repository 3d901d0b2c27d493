package client

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Defaults and limits of a listing.
const (
	// MaxPageLimit is the largest page_limit the API accepts; asking for it
	// keeps the request count of a listing at ceil(tasks/50).
	MaxPageLimit       = 50
	DefaultConcurrency = 4
	DefaultMaxPages    = 5000
	DefaultRetries     = 2
	// DefaultLookback is the API's retention: it lists seven days.
	DefaultLookback     = 7 * 24 * time.Hour
	DefaultMaxBodyBytes = 16 << 20
	// DefaultRequestTimeout bounds one HTTP attempt: a page answers in
	// well under a second, so an attempt this slow is hung and worth a
	// retry rather than holding the listing.
	DefaultRequestTimeout = 30 * time.Second
	// maxErrorBody bounds what is read of an error response.
	maxErrorBody = 64 << 10
	// maxDrain bounds what is read of a page after the decoder's last
	// token, so that the connection can serve the next page (over TLS, a
	// handshake saved per page).
	maxDrain = 64 << 10
	// maxRedirects bounds the same-host redirects followed.
	maxRedirects = 3
	// minRateLimitWait is the least a 429 without Retry-After or
	// X-Ratelimit-Reset waits: the limit is the organisation's, and two
	// quick retries only spend more of it.
	minRateLimitWait = time.Second
)

// Config sets up a Client. Zero values take the defaults above, but for
// Concurrency and MaxPages, which the caller sets (to DefaultConcurrency
// and DefaultMaxPages when it has no other choice): a zero there is an
// operator's mistake to report, not to paper over.
type Config struct {
	// BaseURL is the API root, such as https://api.twelvelabs.io/v1.3.
	BaseURL string
	Key     KeySource
	// HTTPClient sends the requests; its Timeout should be zero, since each
	// listing is bounded by its context instead.
	HTTPClient *http.Client
	UserAgent  string
	// PageLimit is the page_limit sent; at most MaxPageLimit.
	PageLimit int
	// Concurrency bounds the page requests in flight after page 1.
	Concurrency int
	// MaxPages bounds a listing: one that needs more pages is an error,
	// never a silent truncation.
	MaxPages int
	// Retries is how many times a request is retried after 408, 429, 5xx
	// or a transport error, each wait bounded by the listing's context.
	Retries int
	// MaxBodyBytes bounds a page's response body.
	MaxBodyBytes int64
	// RequestTimeout bounds one HTTP attempt, body included.
	RequestTimeout time.Duration
	// BackoffBase and BackoffMax shape the retry delay: full jitter over
	// BackoffBase·2^attempt, capped at BackoffMax.
	BackoffBase, BackoffMax time.Duration
	// OnResponse, when set, is told of every HTTP attempt: the status code,
	// or "error" when no response came.
	OnResponse func(api API, code string)
	// Budget, when set, pays for every HTTP attempt, retries included; a
	// request it cannot pay for is not sent, and the listing fails.
	Budget Budget
	// OnRateLimit, when set, is told of the rate-limit headers of every
	// answer that carries them.
	OnRateLimit func(api API, rl RateLimit)
	// Now is the clock; tests set it.
	Now func() time.Time
}

var (
	// errTooManyPages: a listing needs more pages than Config.MaxPages.
	errTooManyPages = errors.New("too many pages")
	// errRequestTimeout: one HTTP attempt ran out of Config.RequestTimeout.
	errRequestTimeout = errors.New("no answer within the request timeout")
	// errInconsistentPaging: pages contradict each other.
	errInconsistentPaging = fmt.Errorf("%w: inconsistent paging", errMalformed)
	// errRedirectRefused: a redirect the key must not follow.
	errRedirectRefused = errors.New("redirect refused")
)

// maxPooledBody: a decoder that read a body larger than this may hold a
// buffer as large, and is dropped rather than pooled. Real pages are tens
// of KiB.
const maxPooledBody = 1 << 20

// Budget is a share of the organisation's rate limit.
type Budget interface {
	// Take spends one request, waiting for it when the budget paces and
	// the wait fits ctx's deadline, or reports that none is left in time.
	Take(ctx context.Context) bool
}

// ErrBudgetExhausted: the request budget could not pay for a request.
var ErrBudgetExhausted = errors.New("the request budget is exhausted")

// Client lists embedding tasks. It is safe for concurrent use.
type Client struct {
	cfg      Config
	base     *url.URL
	seed     maphash.Seed
	sleep    func(ctx context.Context, d time.Duration) error
	decoders sync.Pool // *pageDecoder, reused across pages and listings
	skew     clockSkew // the API's clock against ours, from Date headers
}

// ConfigError names the Config field that is out of range, so that callers
// can say which of their own settings to fix.
type ConfigError struct {
	Field string
	Value any
	Want  string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("%s %v: want %s", e.Field, e.Value, e.Want) }

// New checks the configuration and fills in defaults.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, &ConfigError{"BaseURL", fmt.Sprintf("%q", cfg.BaseURL), "an absolute http(s) URL such as https://api.twelvelabs.io/v1.3"}
	}
	if base.User != nil || base.RawQuery != "" {
		return nil, &ConfigError{"BaseURL", fmt.Sprintf("%q", cfg.BaseURL), "a URL with neither credentials nor a query"}
	}
	if cfg.Key == nil {
		return nil, &ConfigError{"Key", nil, "a key source"}
	}
	if cfg.PageLimit == 0 {
		cfg.PageLimit = MaxPageLimit
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	switch {
	case cfg.PageLimit < 1 || cfg.PageLimit > MaxPageLimit:
		return nil, &ConfigError{"PageLimit", cfg.PageLimit, fmt.Sprintf("1 to %d", MaxPageLimit)}
	case cfg.Concurrency < 1:
		return nil, &ConfigError{"Concurrency", cfg.Concurrency, "at least 1"}
	case cfg.MaxPages < 1:
		return nil, &ConfigError{"MaxPages", cfg.MaxPages, "at least 1"}
	case cfg.Retries < 0:
		return nil, &ConfigError{"Retries", cfg.Retries, "zero or more"}
	case cfg.RequestTimeout < 0:
		return nil, &ConfigError{"RequestTimeout", cfg.RequestTimeout, "a positive duration"}
	case cfg.MaxBodyBytes < 0:
		return nil, &ConfigError{"MaxBodyBytes", cfg.MaxBodyBytes, "a positive size"}
	}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 200 * time.Millisecond
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = 5 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	// The key goes in a header that net/http forwards on every redirect:
	// follow only redirects that stay on the configured scheme and host.
	hc := *cfg.HTTPClient
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != base.Scheme || req.URL.Host != base.Host {
			return fmt.Errorf("%w: to %s://%s, not the API's %s://%s, which would send it the key",
				errRedirectRefused, req.URL.Scheme, req.URL.Host, base.Scheme, base.Host)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("%w: more than %d redirects", errRedirectRefused, maxRedirects)
		}
		return nil
	}
	cfg.HTTPClient = &hc
	if cfg.OnRateLimit == nil {
		cfg.OnRateLimit = func(API, RateLimit) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnResponse == nil {
		cfg.OnResponse = func(API, string) {}
	}
	c := &Client{cfg: cfg, base: base, seed: maphash.MakeSeed(), sleep: sleepCtx}
	c.decoders.New = func() any { return newPageDecoder(c.seed) }
	return c, nil
}

// List walks every page of the answer to q once and aggregates it. Page 1
// comes first, for total_page; pages 2..total_page follow concurrently.
// The window is pinned, so tasks created during the listing do not shift
// pages; each _id counts once in case pages shift all the same. Whether
// the pass saw every task is for the caller to verify: Listing.Total is
// what the API counted, Tasks+OutsideWindow what the pass saw.
//
// On error the returned Listing still carries Pages, Requests and Duration,
// but no Groups: a failed listing has no counts, not partial ones.
func (c *Client) List(ctx context.Context, q Query) (*Listing, error) {
	start := c.cfg.Now()
	var requests atomic.Int64
	l := newListing()
	err := c.list(ctx, q, l, &requests)
	l.Requests = int(requests.Load())
	l.Duration = c.cfg.Now().Sub(start)
	if err != nil {
		l.Groups = nil
		return l, fmt.Errorf("listing Embed API %s: %w", q.API, err)
	}
	return l, nil
}

// list reads one pass of a listing into l.
func (c *Client) list(ctx context.Context, q Query, l *Listing, requests *atomic.Int64) error {
	dec := c.decoders.Get().(*pageDecoder)
	first, err := c.fetchPage(ctx, q, 1, requests, dec)
	if err != nil {
		c.putDecoder(dec)
		return err
	}
	info := first.info
	l.Pages = 1
	l.Total = info.TotalResults
	seen := newIDSet(info.TotalResults)
	if q.Sized != nil && info.TotalResults > 0 {
		q.Sized(min(info.TotalResults, maxIDHint))
	}
	seen.addPage(l, first.tasks, q)
	firstLen := len(first.tasks)
	l.Total = trustedTotal(l.Total, 1, c.limit(q), firstLen)
	c.putDecoder(dec)
	if firstLen == 0 {
		// No tasks, whatever page_info says (an account without tasks may
		// send "data": null, "page_info": null).
		return nil
	}

	// A page is full when it holds what a page holds: the page_limit
	// asked for, or less when the API says it pages by less.
	perPage := c.limit(q)
	if info.LimitPerPage > 0 && info.LimitPerPage < perPage {
		perPage = info.LimitPerPage
	}
	total := max(info.TotalPage, 1)
	if info.TotalResults > 0 { // total_results can reveal pages total_page understates
		total = max(total, (info.TotalResults+perPage-1)/perPage)
	}
	if total > c.cfg.MaxPages {
		return fmt.Errorf("%w: the listing needs %d pages (%d tasks), more than the cap of %d pages",
			errTooManyPages, total, info.TotalResults, c.cfg.MaxPages)
	}

	// Pages after an empty one are not requested: the list ended early
	// (tasks expired during the listing).
	var emptyFrom atomic.Int64
	emptyFrom.Store(int64(total) + 1)
	var mu sync.Mutex
	lastLen := firstLen // tasks on page total
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.Concurrency)
	for n := 2; n <= total; n++ {
		if int64(n) >= emptyFrom.Load() || gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if int64(n) >= emptyFrom.Load() {
				return nil
			}
			dec := c.decoders.Get().(*pageDecoder)
			defer c.putDecoder(dec)
			p, err := c.fetchPage(gctx, q, n, requests, dec)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			l.Pages++
			if n == total {
				lastLen = len(p.tasks)
			}
			if len(p.tasks) == 0 {
				// An empty page before the announced end is the list
				// ending early only if the list did shrink.
				if info.TotalResults > 0 && p.info.TotalResults >= info.TotalResults {
					return fmt.Errorf("%w: page %d of %d is empty while total_results is still %d", errInconsistentPaging,
						n, total, p.info.TotalResults)
				}
				for cur := emptyFrom.Load(); int64(n) < cur && !emptyFrom.CompareAndSwap(cur, int64(n)); cur = emptyFrom.Load() {
				}
				return nil
			}
			seen.addPage(l, p.tasks, q)
			return nil
		})
	}
	if err := g.Wait(); err != nil || emptyFrom.Load() <= int64(total) {
		return err
	}

	// Without total_results to trust, keep reading while pages come back
	// full, as the official SDKs do: a page_info lacking totals, a
	// total_page of 0 or too small, or a total_results the pages disprove
	// (more distinct tasks than it counts: a count that lags) must not cut
	// the listing short.
	// Short pages short of the count go on too: an API may cut a page and
	// then drop tasks from it (soft-deleted ones), or page by less than
	// it says. A page that brings no task not read before ends it either
	// way: an API that serves a page again past its list's end.
	read := func() int { return l.Tasks + l.OutsideWindow }
	untrusted := func() bool { return info.TotalResults <= 0 || read() > info.TotalResults }
	// Served counts every task a page held, seen before or not: pages
	// that held as many as the count held the whole list.
	served := func() int { return read() + l.Duplicates }
	short := func() bool { return info.TotalResults > 0 && served() < info.TotalResults && lastLen > 0 }
	for n := total + 1; (untrusted() && lastLen >= perPage) || short(); n++ {
		if n > c.cfg.MaxPages {
			return fmt.Errorf("%w: pages keep coming back full past the cap of %d pages", errTooManyPages, c.cfg.MaxPages)
		}
		dec := c.decoders.Get().(*pageDecoder)
		p, err := c.fetchPage(ctx, q, n, requests, dec)
		if err != nil {
			c.putDecoder(dec)
			return err
		}
		l.Pages++
		lastLen = len(p.tasks)
		before := read()
		seen.addPage(l, p.tasks, q)
		c.putDecoder(dec)
		if read() == before {
			break
		}
	}
	return nil
}

// limit is the page_limit of q's requests.
func (c *Client) limit(q Query) int {
	if q.Limit > 0 {
		return min(q.Limit, MaxPageLimit)
	}
	return c.cfg.PageLimit
}

// PageResult is one page of the answer to a query.
type PageResult struct {
	// Tasks are the page's tasks, each _id once; those the API listed
	// although created outside the query's window are marked Outside.
	Tasks []Task
	// Total is the total_results the page announced: -1 when it sent none,
	// or when the page itself contradicts it (more tasks up to this page
	// than the total counts).
	Total int
	// Limit is the page's size: the page_limit asked, or less when the API
	// says it pages by less. A page holding fewer tasks is the list's last.
	Limit    int
	Requests int
}

// Page reads page n of the answer to q. Callers that follow tasks across
// listings ask this many small questions: a page of 50 answers how many
// tasks match (total_results), and holds them all when they fit.
func (c *Client) Page(ctx context.Context, q Query, n int) (PageResult, error) {
	var count atomic.Int64
	dec := c.decoders.Get().(*pageDecoder)
	defer c.putDecoder(dec)
	p, err := c.fetchPage(ctx, q, n, &count, dec)
	if err != nil {
		return PageResult{Total: -1, Requests: int(count.Load())}, fmt.Errorf("listing Embed API %s: %w", q.API, err)
	}
	r := PageResult{Total: p.info.TotalResults, Limit: c.limit(q), Requests: int(count.Load())}
	if li := p.info.LimitPerPage; li > 0 && li < r.Limit {
		r.Limit = li
	}
	seen := make(map[uint64]struct{}, len(p.tasks))
	for i := range p.tasks {
		t := &p.tasks[i]
		if t.HasID {
			if _, dup := seen[t.IDHash]; dup {
				continue
			}
			seen[t.IDHash] = struct{}{}
		}
		e := t.export()
		if q.Status != "" && e.Status != q.Status && q.API.Documented(e.Status) {
			// The counts by status are what the listing is verified
			// against: an API that ignores the filter leaves nothing to
			// verify by, and says so at once. (A status it cannot read, or
			// one it does not document, may well be the filter's.)
			return PageResult{Total: -1, Requests: r.Requests}, fmt.Errorf("listing Embed API %s: GET %s page %d with status=%s holds a task of status %q: %w (it ignores the status filter)",
				q.API, q.API.Path(), n, q.Status, e.Status, ErrInconsistent)
		}
		e.Outside = !q.inWindow(t)
		r.Tasks = append(r.Tasks, e)
	}
	r.Total = trustedTotal(r.Total, n, r.Limit, len(r.Tasks))
	return r, nil
}

// Statuses are the statuses the API documents for embedding tasks, each
// of which it filters by exactly.
var Statuses = []string{"processing", "ready", "failed"}

// trustedTotal is a page's total_results, or -1 when page n itself, of
// tasks on it at limit a page, disproves it (fewer tasks counted than the
// pages up to it hold): a count that is no count.
func trustedTotal(total, n, limit, tasks int) int {
	if total >= 0 && total < (n-1)*limit+tasks {
		return -1
	}
	return total
}

// putDecoder returns a decoder to the pool unless a large body grew its
// buffers: a pooled decoder must not keep a hostile page's allocation.
func (c *Client) putDecoder(d *pageDecoder) {
	if d.read(c.cfg.MaxBodyBytes) > maxPooledBody || cap(d.tasks) > 4*MaxPageLimit {
		return
	}
	c.decoders.Put(d)
}

// fetchPage gets one page, retrying what is worth retrying.
func (c *Client) fetchPage(ctx context.Context, q Query, n int, requests *atomic.Int64, dec *pageDecoder) (*page, error) {
	u := *c.base
	u.Path += q.API.Path()
	v := url.Values{}
	v.Set("page", strconv.Itoa(n))
	v.Set("page_limit", strconv.Itoa(c.limit(q)))
	if !q.Start.IsZero() {
		v.Set("started_at", q.Start.UTC().Format(time.RFC3339))
	}
	if !q.End.IsZero() {
		v.Set("ended_at", q.End.UTC().Format(time.RFC3339))
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	u.RawQuery = v.Encode()
	target := u.String()

	for attempt := 0; ; attempt++ {
		p, retryAfter, err := c.try(ctx, q.API, n, c.limit(q), target, requests, dec)
		if err == nil {
			return p, nil
		}
		if retryAfter < 0 || attempt >= c.cfg.Retries || ctx.Err() != nil {
			return nil, err
		}
		delay := retryAfter
		if delay == 0 {
			delay = c.backoff(attempt)
		}
		// ctx carries the listing's deadline (not a scrape's: listings
		// outlive the scrapes that wait for them).
		if dl, ok := ctx.Deadline(); ok && c.cfg.Now().Add(delay).After(dl) {
			return nil, fmt.Errorf("%w (no retry: waiting %s would pass the listing's deadline)", err, delay.Round(time.Millisecond))
		}
		if serr := c.sleep(ctx, delay); serr != nil {
			return nil, err
		}
	}
}

// try sends one request. retryAfter is negative when the error is final,
// zero when a retry should back off by itself, and positive when the API
// said how long to wait.
func (c *Client) try(ctx context.Context, api API, n, limit int, target string, requests *atomic.Int64, dec *pageDecoder) (p *page, retryAfter time.Duration, err error) {
	key, err := c.cfg.Key.APIKey()
	if err != nil {
		return nil, -1, err
	}
	// Whatever the API answered, its echo of the key goes no further:
	// not in an error (a decoder's message quoting the body, a redirect's
	// Location), not in a label.
	defer func() {
		if err != nil {
			err = redactKeyInError(err, key)
		}
	}()
	if c.cfg.Budget != nil && !c.cfg.Budget.Take(ctx) {
		return nil, -1, fmt.Errorf("GET %s page %d: %w", api.Path(), n, ErrBudgetExhausted)
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, target, nil)
	if err != nil {
		return nil, -1, err
	}
	req.Header.Set("x-api-key", key)
	req.Header.Set("Accept", "application/json")
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	requests.Add(1)
	resp, err := c.cfg.HTTPClient.Do(req)
	if errors.Is(err, errRedirectRefused) {
		// Counted as the redirect it was; never retried.
		code := "error"
		if resp != nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		c.cfg.OnResponse(api, code)
		return nil, -1, fmt.Errorf("GET %s page %d: %w", api.Path(), n, transportError(err))
	}
	if err != nil {
		c.cfg.OnResponse(api, "error")
		if ctx.Err() != nil {
			return nil, -1, fmt.Errorf("GET %s page %d: %w", api.Path(), n, context.Cause(ctx))
		}
		if actx.Err() != nil {
			return nil, 0, fmt.Errorf("GET %s page %d: %w of %s", api.Path(), n, errRequestTimeout, c.cfg.RequestTimeout)
		}
		return nil, 0, fmt.Errorf("GET %s page %d: %w", api.Path(), n, transportError(err))
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		_ = resp.Body.Close()
	}()
	c.cfg.OnResponse(api, strconv.Itoa(resp.StatusCode))
	now := c.cfg.Now()
	c.observeDate(resp.Header.Get("Date"), now)
	rl, hasRL := parseRateLimit(resp.Header, now)
	if hasRL {
		c.cfg.OnRateLimit(api, rl)
	}

	if resp.StatusCode == http.StatusOK {
		dec.setSecret(key)
		dec.stage = StageOf(api)
		p, err := dec.decode(resp.Body, c.cfg.MaxBodyBytes, limit)
		if err != nil {
			if ctx.Err() != nil {
				return nil, -1, fmt.Errorf("GET %s page %d: %w", api.Path(), n, context.Cause(ctx))
			}
			if actx.Err() != nil {
				return nil, 0, fmt.Errorf("GET %s page %d: the body stalled: %w of %s", api.Path(), n, errRequestTimeout, c.cfg.RequestTimeout)
			}
			// A body cut short in transit may come whole next time; one
			// too large or of the wrong shape will not.
			final := errors.Is(err, errBodyTooLarge) || errors.Is(err, errMalformed) || errors.Is(err, errTooManyItems) ||
				errors.Is(err, errTokenTooLarge)
			return nil, retryDelay(final, 0), fmt.Errorf("GET %s page %d: %w", api.Path(), n, err)
		}
		return p, 0, nil
	}

	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	apiErr := &APIError{API: api, Page: n, StatusCode: resp.StatusCode}
	apiErr.Code, apiErr.Message = parseErrorBody(resp.StatusCode, body, key)
	retryable := resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500
	wait := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if resp.StatusCode == http.StatusTooManyRequests && wait == 0 {
		// No Retry-After: the reset of the window, else a wait long enough
		// not to hammer an organisation-wide limit.
		wait = max(rl.Reset.Sub(now), minRateLimitWait+rand.N(minRateLimitWait))
	}
	return nil, retryDelay(!retryable, wait), apiErr
}

func retryDelay(final bool, d time.Duration) time.Duration {
	if final {
		return -1
	}
	return d
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffBase << min(attempt, 16)
	if d <= 0 || d > c.cfg.BackoffMax {
		d = c.cfg.BackoffMax
	}
	// Full jitter over the upper half keeps HA pairs of exporters apart
	// while still backing off.
	return d/2 + rand.N(d/2+1)
}

// transportError drops the URL that *url.Error repeats; the message that
// remains says what happened ("connection refused", "EOF").
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
