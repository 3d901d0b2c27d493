package collector

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// The stages beyond embedding (client.Stage) list their whole endpoint on
// every listing: their lists take no time window. A listing is served only
// when the API's own counts confirm it: its distinct items equal the
// total_results of the list, and, where the endpoint filters by status,
// each status's count equals the API's count of that status. A status
// that disagrees is listed again on its own (narrowed by the status
// filter), not the whole list; a list that does not settle in
// stageRounds fails as inconsistent.

// stageRounds bounds the re-reads of a stage's listing that disagrees
// with the API's counts: an item that moved status while it was listed
// settles in one; an API that contradicts itself never does.
const stageRounds = 3

// listStage lists one stage, verified, and names its dimension's values
// through the stage it joins on.
func (e *Exporter) listStage(ctx context.Context, st *client.Stage) (*client.Listing, error) {
	l, err := e.verifiedStage(ctx, st)
	if err != nil || st.JoinNames == "" {
		return l, err
	}
	names, err := e.verifiedStage(ctx, client.StageOf(st.JoinNames))
	if names != nil {
		l.Pages += names.Pages
		l.Requests += names.Requests
		l.Duration += names.Duration
	}
	if err != nil {
		return l, fmt.Errorf("naming %s by %s: %w", st.Dimension, st.JoinNames, err)
	}
	joined := make(map[client.GroupKey]*client.Group, len(l.Groups))
	for k, g := range l.Groups {
		name, ok := names.Keys[k.Model]
		if !ok {
			// An _id the joined list does not hold (deleted, or unread):
			// never exported as a label value.
			name = client.Unknown
		}
		nk := client.GroupKey{Model: name, Status: k.Status}
		if joined[nk] == nil {
			joined[nk] = &client.Group{}
		}
		joined[nk].Merge(g)
	}
	l.Groups = joined
	return l, nil
}

// verifiedStage lists st whole and checks it against the API's counts.
func (e *Exporter) verifiedStage(ctx context.Context, st *client.Stage) (*client.Listing, error) {
	q := client.Query{API: st.API}
	l, err := e.lister.List(ctx, q)
	if err != nil {
		return l, err
	}
	pager, canPage := e.lister.(Pager)
	for round := 0; ; round++ {
		if l.Total >= 0 && l.Tasks+l.OutsideWindow != l.Total {
			// Items came or went while the pages were read: the list
			// again, whole (the narrowing by status needs a whole list
			// to narrow from).
			if round >= stageRounds {
				return failed(l, fmt.Errorf("%w: %d items listed, %d counted by total_results", errUnsettled, l.Tasks, l.Total))
			}
			again, err := e.lister.List(ctx, q)
			if err != nil {
				return failed(accumulate(again, l), err)
			}
			l = accumulate(again, l)
			continue
		}
		if !st.StatusFilter || !canPage {
			return l, nil
		}
		wrong, requests, err := e.statusCounts(ctx, pager, st, l)
		l.Requests += requests
		if err != nil {
			return failed(l, err)
		}
		if len(wrong) == 0 {
			return l, nil
		}
		if round >= stageRounds {
			return failed(l, fmt.Errorf("%w: the count of status %s disagrees with the listing", errUnsettled, wrong[0]))
		}
		for _, status := range wrong {
			part, err := e.lister.List(ctx, client.Query{API: st.API, Status: status})
			if part != nil {
				l.Pages += part.Pages
				l.Requests += part.Requests
			}
			if err != nil {
				return failed(l, err)
			}
			replaceStatus(l, part, status)
		}
	}
}

// statusCounts asks the API's count of every documented status the
// listing holds, one request each (a page of one carries total_results),
// and returns those that disagree. The statuses it cannot filter by
// (undocumented, unreadable) are confirmed by the rest: the total less
// the documented counts.
func (e *Exporter) statusCounts(ctx context.Context, pager Pager, st *client.Stage, l *client.Listing) (wrong []string, requests int, err error) {
	held := map[string]int{}
	for k, g := range l.Groups {
		held[k.Status] += g.Tasks
	}
	rest := l.Tasks
	for _, status := range slices.Sorted(maps.Keys(held)) {
		if !st.API.Documented(status) {
			continue
		}
		p, err := pager.Page(ctx, client.Query{API: st.API, Status: status, Limit: 1}, 1)
		requests += p.Requests
		if err != nil {
			return nil, requests, err
		}
		if p.Total < 0 {
			continue // no count to confirm by: the whole list's total did
		}
		if p.Total != held[status] {
			wrong = append(wrong, status)
		}
		rest -= p.Total
	}
	undocumented := 0
	for status, n := range held {
		if !st.API.Documented(status) {
			undocumented += n
		}
	}
	if len(wrong) == 0 && l.Total >= 0 && rest != undocumented {
		// A documented status the listing does not hold has items by the
		// API's count: listing it is the cheapest way to learn which.
		return nil, requests, fmt.Errorf("%w: the counts by status leave %d items the listing does not hold", errUnsettled, rest-undocumented)
	}
	return wrong, requests, nil
}

// replaceStatus puts the items of status from part, a listing of that
// status alone, in place of l's.
func replaceStatus(l, part *client.Listing, status string) {
	for k, g := range l.Groups {
		if k.Status == status {
			l.Tasks -= g.Tasks
			delete(l.Groups, k)
		}
	}
	for k, g := range part.Groups {
		if k.Status != status {
			continue // an item that moved while the part was read: the next round sees it
		}
		l.Groups[k] = g
		l.Tasks += g.Tasks
	}
}

// accumulate returns again with the pages and requests of before added.
func accumulate(again, before *client.Listing) *client.Listing {
	if again == nil {
		return before
	}
	again.Pages += before.Pages
	again.Requests += before.Requests
	again.Duration += before.Duration
	return again
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
