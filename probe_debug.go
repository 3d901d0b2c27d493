package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"go.yaml.in/yaml/v3"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// firstAccount names an account for the landing page's example probe.
func (t *targets) firstAccount() string {
	as := t.current.Load()
	if as == nil || len(as.byName) == 0 {
		return "NAME"
	}
	names := make([]string, 0, len(as.byName))
	for n := range as.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names[0]
}

// debugProbe answers /probe?target=NAME&debug=true as blackbox_exporter's
// debug probes do: the probe runs as a scrape would, and the answer is
// plain text for a person: how each API's listings went (when, how many
// pages and requests, why one failed), the metrics the scrape would have
// returned, and the account's configuration. No key appears: errors are
// redacted before they are kept, and the configuration holds only where
// the key is (key_file, key_env).
func (t *targets) debugProbe(w http.ResponseWriter, r *http.Request, timeout time.Duration) {
	name := r.URL.Query().Get("target")
	a := t.current.Load().get(name)
	if a == nil {
		http.Error(w, fmt.Sprintf("unknown target %q: not an account of --config.file", name), http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(a.exp.Collector(ctx))
	mfs, gatherErr := reg.Gather()

	var b strings.Builder
	fmt.Fprintf(&b, "Probe of account %q", name)
	if a.org.Name != "" {
		fmt.Fprintf(&b, " (organization %q)", a.org.Name)
	}
	fmt.Fprintf(&b, " at %s, within %s\n\nListings:\n", time.Now().UTC().Format(time.RFC3339), timeout)
	now := time.Now()
	for _, st := range a.exp.Status() {
		if !st.Running.IsZero() {
			fmt.Fprintf(&b, "  %s: a listing has been running for %s\n", st.API, now.Sub(st.Running).Round(time.Millisecond))
		}
		switch l := st.Last; {
		case l.Done.IsZero():
			fmt.Fprintf(&b, "  %s: no listing has finished yet\n", st.API)
		case l.Err != "":
			fmt.Fprintf(&b, "  %s: the last listing failed %s ago, reason %s: %s\n", st.API, now.Sub(l.Done).Round(time.Second), l.Reason, l.Err)
			if h := hint(l.Reason); h != "" {
				fmt.Fprintf(&b, "      what to do: %s\n", h)
			}
		default:
			fmt.Fprintf(&b, "  %s: the last listing succeeded %s ago in %s: %d tasks, %d pages, %d requests\n",
				st.API, now.Sub(l.Done).Round(time.Second), l.Duration.Round(time.Millisecond), l.Tasks, l.Pages, l.Requests)
		}
		if g := st.Good; st.Last.Err != "" && !g.Done.IsZero() {
			fmt.Fprintf(&b, "      scrapes serve the listing that succeeded %s ago (%d tasks)\n", now.Sub(g.Done).Round(time.Second), g.Tasks)
		}
	}
	b.WriteString("\nMetrics that would have been returned:\n")
	if gatherErr != nil {
		fmt.Fprintf(&b, "(gathering failed: %v)\n", gatherErr)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
	}
	b.WriteString("\nAccount configuration:\n")
	raw, err := yaml.Marshal(a.cfg)
	if err != nil {
		fmt.Fprintf(&b, "(%v)\n", err)
	}
	b.Write(raw)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(client.RedactURLs(b.String())))
}

// serveConfig shows the configuration loaded from --config.file, as
// blackbox_exporter's /config does: it holds no key (only where each is),
// and URL passwords are redacted.
func (t *targets) serveConfig(w http.ResponseWriter, _ *http.Request) {
	as := t.current.Load()
	if as == nil || as.file == nil {
		http.Error(w, "no --config.file: the one account comes from the flags (see the landing page's version and the flags it was started with)", http.StatusNotFound)
		return
	}
	raw, err := yaml.Marshal(as.file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(client.RedactURLs(string(raw))))
}
