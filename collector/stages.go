package collector

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// The stages beyond embedding (client.Stage) list their whole endpoint on
// every listing: their lists take no time window. A listing is served only
// when the API's own counts confirm it. It keeps each item by _id, so that
// an item read twice (pages shifting under it, or moving status between
// the pass and a re-read) is held once, where it was last seen. Where the
// endpoint filters by status, the API's count of every documented status
// is asked (one request each); a status whose count disagrees with the
// items held is read again on its own, its items replacing those held in
// it, and the counts asked again, until all agree (stageRounds). Where it
// does not, the distinct items must equal total_results, or the list is
// read again whole. A list without counts to verify by is served only when
// it is one page, short of the page size.
//
// Counts cannot see an item deleted while another of the same status was
// created during one pass, one of them missed: the next listing, whole,
// sees both.

// stageRounds bounds the re-reads of a stage's listing that disagrees
// with the API's counts: an item that moved status while it was listed
// settles in one; an API that contradicts itself never does.
const stageRounds = 3

// listStage lists one stage, verified, and names its dimension's values
// through the stage it joins on.
func (e *Exporter) listStage(ctx context.Context, st *client.Stage, at time.Time) (*client.Listing, error) {
	l, items, err := e.verifiedStage(ctx, st, at)
	if err != nil {
		return l, err
	}
	if st.JoinNames == "" {
		e.stageServed(st, items, func(t client.Task) string { return t.Model })
		return l, nil
	}
	names, _, err := e.verifiedStage(ctx, client.StageOf(st.JoinNames), time.Time{})
	if names != nil {
		l.Pages += names.Pages
		l.Requests += names.Requests
		l.Duration += names.Duration
	}
	switch {
	case err != nil:
		return failed(l, fmt.Errorf("naming %s by %s: %w", st.Dimension, st.JoinNames, err))
	case names.KeysTruncated:
		return failed(l, fmt.Errorf("naming %s by %s: more than %d of them", st.Dimension, st.JoinNames, len(names.Keys)))
	}
	name := func(id string) string {
		if n, ok := names.Keys[id]; ok && id != "" {
			return n
		}
		// An _id the joined list does not hold (deleted), or none: never
		// exported as a label value.
		return client.Unknown
	}
	joined := make(map[client.GroupKey]*client.Group, len(l.Groups))
	for k, g := range l.Groups {
		nk := client.GroupKey{Model: name(k.Model), Status: k.Status}
		if joined[nk] == nil {
			joined[nk] = &client.Group{}
		}
		joined[nk].Merge(g)
	}
	l.Groups = joined
	e.stageServed(st, items, func(t client.Task) string { return name(t.Model) })
	return l, nil
}

// stageServed tells the stage's lifecycle of the items of a listing about
// to be served; their dimension values are folded as the listing's are.
func (e *Exporter) stageServed(st *client.Stage, items map[uint64]client.Task, dim func(client.Task) string) {
	lc := e.stageLife[st.API]
	if lc == nil {
		return
	}
	lc.served(items, func(t client.Task) string { return e.state.admitModel(st.API, dim(t)) }, e.opts.Now())
}

// stageItems are the items of one stage's listing, by _id hash; those
// without an _id are kept apart, and make a listing of more than one page
// unverifiable (they cannot be told apart from an item read twice).
type stageItems struct {
	byID  map[uint64]client.Task
	noID  []client.Task
	pages int
}

func (si *stageItems) add(t client.Task) {
	if !t.HasID {
		si.noID = append(si.noID, t)
		return
	}
	si.byID[t.IDHash] = t
}

// held counts the items held by status.
func (si *stageItems) held() map[string]int {
	n := map[string]int{}
	for _, t := range si.byID {
		n[t.Status]++
	}
	for _, t := range si.noID {
		n[t.Status]++
	}
	return n
}

func (si *stageItems) total() int { return len(si.byID) + len(si.noID) }

// read lists q into si, returning what the listing reports (counts,
// malformed fields, cost), its groups dropped: si's items make them.
func (e *Exporter) readStage(ctx context.Context, q client.Query, si *stageItems) (*client.Listing, error) {
	q.Each = si.add
	l, err := e.lister.List(ctx, q)
	if l != nil {
		si.pages += l.Pages
	}
	return l, err
}

// verifiedStage lists st whole and checks it against the API's counts;
// its groups' usage is as of at.
func (e *Exporter) verifiedStage(ctx context.Context, st *client.Stage, at time.Time) (*client.Listing, map[uint64]client.Task, error) {
	start := e.opts.Now()
	q := client.Query{API: st.API, UsageAt: at}
	si := &stageItems{byID: map[uint64]client.Task{}}
	first, err := e.readStage(ctx, q, si)
	if err != nil {
		return first, nil, err
	}
	cost := &client.Listing{Pages: first.Pages, Requests: first.Requests, Duration: first.Duration}
	fail := func(err error) (*client.Listing, map[uint64]client.Task, error) {
		cost.Duration = e.opts.Now().Sub(start)
		l, err := failed(cost, err)
		return l, nil, err
	}
	done := func() (*client.Listing, map[uint64]client.Task, error) {
		l := e.stageListing(q, si, first, cost)
		l.Duration = e.opts.Now().Sub(start)
		return l, si.byID, nil
	}
	pager, canPage := e.lister.(Pager)
	total := first.Total
	for round := 0; ; round++ {
		if len(si.noID) > 0 && si.pages > 1 {
			return fail(fmt.Errorf("%w: %d items without an _id on a list of %d pages: an item read twice cannot be told from two",
				client.ErrInconsistent, len(si.noID), si.pages))
		}
		var counts map[string]int
		if st.StatusFilter && canPage {
			var requests int
			counts, requests, err = e.statusCounts(ctx, pager, st)
			cost.Requests += requests
			if err != nil {
				return fail(err)
			}
		}
		if counts == nil { // no counts by status: the whole list's
			switch {
			case total < 0 && si.pages <= 1 && si.total() < client.MaxPageLimit:
				return done()
			case total < 0:
				return fail(fmt.Errorf("%w: a list of %d pages with no total_results to verify it by", client.ErrInconsistent, si.pages))
			case si.total() == total:
				return done()
			case round >= stageRounds:
				return fail(fmt.Errorf("%w: %d items listed, %d counted by total_results", errUnsettled, si.total(), total))
			}
			si = &stageItems{byID: map[uint64]client.Task{}}
			again, err := e.readStage(ctx, q, si)
			if again != nil {
				cost.Pages += again.Pages
				cost.Requests += again.Requests
				total = again.Total
			}
			if err != nil {
				return fail(err)
			}
			continue
		}
		held := si.held()
		var wrong []string
		documented, undocumented := 0, si.total()
		for _, status := range st.Statuses {
			if counts[status] != held[status] {
				wrong = append(wrong, status)
			}
			documented += counts[status]
			undocumented -= held[status]
		}
		if len(wrong) == 0 && undocumented > 0 {
			// Items of statuses the API does not filter by (unknown,
			// unreadable) are confirmed by the whole list's count.
			p, err := pager.Page(ctx, client.Query{API: st.API, Limit: 1}, 1)
			cost.Requests += p.Requests
			if err != nil {
				return fail(err)
			}
			if p.Total != documented+undocumented {
				return fail(fmt.Errorf("%w: %d items of undocumented statuses listed, %d by the counts", errUnsettled,
					undocumented, p.Total-documented))
			}
		}
		if len(wrong) == 0 {
			return done()
		}
		if round >= stageRounds {
			return fail(fmt.Errorf("%w: the count of status %s (%d) disagrees with the items listed (%d)", errUnsettled,
				wrong[0], counts[wrong[0]], held[wrong[0]]))
		}
		for _, status := range wrong {
			// The status's items now: each replaces what was held of it
			// (in whatever status), and what was held in the status but
			// is not in it now has left it: dropped, to be found where it
			// went, whose count then disagrees.
			part := &stageItems{byID: map[uint64]client.Task{}}
			pl, err := e.readStage(ctx, client.Query{API: st.API, Status: status, UsageAt: at}, part)
			if pl != nil {
				cost.Pages += pl.Pages
				cost.Requests += pl.Requests
			}
			if err != nil {
				return fail(err)
			}
			for h, t := range si.byID {
				if t.Status == status {
					delete(si.byID, h)
				}
			}
			si.noID = slices.DeleteFunc(si.noID, func(t client.Task) bool { return t.Status == status })
			for _, t := range part.byID {
				si.byID[t.IDHash] = t
			}
			si.noID = append(si.noID, part.noID...)
			si.pages = max(si.pages, part.pages)
		}
	}
}

// statusCounts asks the API's count of every documented status, one
// request each (a page of one carries total_results). It returns nil when
// the API counts no status (no total_results on any), and an error when it
// counts some and not others: the counts cannot be put together.
func (e *Exporter) statusCounts(ctx context.Context, pager Pager, st *client.Stage) (counts map[string]int, requests int, err error) {
	counts = map[string]int{}
	var missing []string
	for _, status := range st.Statuses {
		p, err := pager.Page(ctx, client.Query{API: st.API, Status: status, Limit: 1}, 1)
		requests += p.Requests
		if err != nil {
			return nil, requests, err
		}
		if p.Total < 0 {
			missing = append(missing, status)
			continue
		}
		counts[status] = p.Total
	}
	switch {
	case len(missing) == len(st.Statuses):
		return nil, requests, nil
	case len(missing) > 1:
		return nil, requests, fmt.Errorf("%w: the API counts some statuses and not %s", client.ErrInconsistent, strings.Join(missing, ", "))
	case len(missing) == 1:
		// One status without a count is the whole list's count less the
		// others', when the API counts the whole list.
		p, err := pager.Page(ctx, client.Query{API: st.API, Limit: 1}, 1)
		requests += p.Requests
		if err != nil {
			return nil, requests, err
		}
		rest := p.Total
		for _, n := range counts {
			rest -= n
		}
		if p.Total < 0 || rest < 0 {
			return nil, requests, fmt.Errorf("%w: the API counts some statuses and not %s", client.ErrInconsistent, missing[0])
		}
		counts[missing[0]] = rest
	}
	return counts, requests, nil
}

// stageListing aggregates the items held, with the first pass's malformed
// fields (counted once, where read) and the whole listing's cost.
func (e *Exporter) stageListing(q client.Query, si *stageItems, first, cost *client.Listing) *client.Listing {
	l := client.NewListing()
	for _, t := range si.byID {
		l.AddTask(t, &q)
	}
	for _, t := range si.noID {
		l.AddTask(t, &q)
	}
	l.Total = si.total()
	l.Malformed = first.Malformed
	l.Pages, l.Requests = cost.Pages, cost.Requests
	return l
}

// failed returns a failed listing: its cost, none of its counts.
func failed(l *client.Listing, err error) (*client.Listing, error) {
	if l != nil {
		l.Groups = nil
	}
	return l, err
}

// stageDescs are the metric descriptions of one stage, named
// twelvelabs_<stage>_<noun>[_…] after its description.
type stageDescs struct {
	items, duration, oldest, expiry *prometheus.Desc
	info                            *prometheus.Desc
	sums, flags                     []*prometheus.Desc
}

func newStageDescs(st *client.Stage) *stageDescs {
	name := stageMetric(st)
	var labels []string
	by := ""
	if st.Dimension != "" {
		labels = append(labels, st.Dimension)
		by = " by " + st.Dimension
	}
	if len(st.Statuses) > 0 {
		labels = append(labels, "status")
		by += map[bool]string{true: " and status", false: " by status"}[st.Dimension != ""]
	}
	src := "GET " + st.Path
	d := &stageDescs{
		items: prometheus.NewDesc(name, fmt.Sprintf("%s listed by %s%s.", capitalize(st.Noun), src, by), labels, nil),
		oldest: prometheus.NewDesc(name+"_oldest_created_timestamp_seconds",
			fmt.Sprintf("Unix time of the oldest created_at among the %s listed by %s, absent for groups without any.", st.Noun, src), labels, nil),
	}
	if st.HasSlot(client.SlotDuration) {
		d.duration = prometheus.NewDesc(name+"_media_duration_seconds",
			fmt.Sprintf("Sum of the media duration of the %s listed by %s, in seconds.", st.Noun, src), labels, nil)
	}
	if st.HasSlot(client.SlotExpires) {
		d.expiry = prometheus.NewDesc(name+"_next_expiry_timestamp_seconds",
			fmt.Sprintf("Unix time of the earliest expires_at among the %s listed by %s, absent for groups without any.", st.Noun, src), labels, nil)
	}
	for _, s := range st.Sums {
		d.sums = append(d.sums, prometheus.NewDesc(name+"_"+s.Suffix,
			fmt.Sprintf("Sum of %s over the %s listed by %s.", s.Help, st.Noun, src), labels, nil))
	}
	for _, f := range st.Flags {
		d.flags = append(d.flags, prometheus.NewDesc(name+"_"+f.Suffix,
			fmt.Sprintf("Count of the %s listed by %s %s.", st.Noun, src, f.Help), labels, nil))
	}
	if st.KeyLabel != "" {
		d.info = prometheus.NewDesc(name+"_info",
			fmt.Sprintf("One series per item listed by %s, joining its _id (%s) to its %s; always 1.", src, st.KeyLabel, st.Dimension),
			[]string{st.KeyLabel, st.Dimension}, nil)
	}
	return d
}

// stageMetric is the name of a stage's item count:
// twelvelabs_<stage>_<noun>, or twelvelabs_<stage> when the stage is named
// after what it lists (batches, indexes, assets).
func stageMetric(st *client.Stage) string {
	name := namespace + "_" + string(st.API)
	if st.Noun != string(st.API) {
		name += "_" + st.Noun
	}
	return name
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func (d *stageDescs) describe(ch chan<- *prometheus.Desc) {
	for _, x := range append([]*prometheus.Desc{d.items, d.duration, d.oldest, d.expiry, d.info}, append(d.sums, d.flags...)...) {
		if x != nil {
			ch <- x
		}
	}
}

// collect exports a stage's listing: every documented status zero-filled
// for each dimension value seen (and for none, when the stage has no
// dimension, so that an empty list reads 0).
func (d *stageDescs) collect(ch chan<- prometheus.Metric, log func(error), st *client.Stage, l *client.Listing) {
	var dims []string
	var extra []string
	for k := range l.Groups {
		if !slices.Contains(dims, k.Model) {
			dims = append(dims, k.Model)
		}
		if k.Status != "" && !st.API.Documented(k.Status) && !slices.Contains(extra, k.Status) {
			extra = append(extra, k.Status)
		}
	}
	if st.Dimension == "" && !slices.Contains(dims, "") {
		dims = append(dims, "")
	}
	labels := func(dim, status string) []string {
		var v []string
		if st.Dimension != "" {
			v = append(v, dim)
		}
		if len(st.Statuses) > 0 {
			v = append(v, status)
		}
		return v
	}
	zero := &client.Group{}
	emit := func(dim, status string, g *client.Group) {
		lv := labels(dim, status)
		send(ch, log, d.items, prometheus.GaugeValue, float64(g.Tasks), lv...)
		if d.duration != nil {
			send(ch, log, d.duration, prometheus.GaugeValue, g.VideoSeconds(), lv...)
		}
		for i, desc := range d.sums {
			send(ch, log, desc, prometheus.GaugeValue, float64(g.Sums[i]), lv...)
		}
		for i, desc := range d.flags {
			send(ch, log, desc, prometheus.GaugeValue, float64(g.Flagged[i]), lv...)
		}
		if g.Tasks > 0 && !g.OldestCreated.IsZero() {
			send(ch, log, d.oldest, prometheus.GaugeValue, unixSeconds(g.OldestCreated), lv...)
		}
		if d.expiry != nil && g.Tasks > 0 && !g.EarliestExpiry.IsZero() {
			send(ch, log, d.expiry, prometheus.GaugeValue, unixSeconds(g.EarliestExpiry), lv...)
		}
	}
	statuses := st.Statuses
	if len(statuses) == 0 {
		statuses = []string{""}
	}
	for _, dim := range dims {
		for _, status := range statuses {
			g := l.Groups[client.GroupKey{Model: dim, Status: status}]
			if g == nil {
				g = zero
			}
			emit(dim, status, g)
		}
	}
	for k, g := range l.Groups {
		if slices.Contains(extra, k.Status) {
			emit(k.Model, k.Status, g)
		}
	}
	if d.info != nil {
		for id, name := range l.Keys {
			send(ch, log, d.info, prometheus.GaugeValue, 1, id, name)
		}
	}
}
