package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// embedCollector is the collector of the Embed APIs (--twelvelabs.embed-api
// says which); the others are the pipeline's stages (client.Stages).
const embedCollector = "embed"

// collectorDefaults says which collectors run without a flag: embed only,
// so that an upgrade lists and exports what it did before. A stage turned
// on by default would also fail, twelvelabs_up 0 and alerting, on every
// account whose key or plan has no access to that endpoint, though its
// owner never asked for it. Of the stages, indexes, batches and uploads
// stay small whatever the account's size (one item per index; batches and
// upload sessions expire after 24 hours) and cost a request or two a
// scrape: the README recommends them. indexing, analyze and assets grow
// with every video an account ever indexed or analysed, with no time
// window to ask by: a 100,000-video account costs 2,000 requests a listing,
// to be paced with --twelvelabs.cache-ttl.
var collectorDefaults = map[string]bool{
	embedCollector: true,
}

// collectorNames lists the collectors in the order they are listed and
// exported: embed first, then the stages.
func collectorNames() []string {
	names := []string{embedCollector}
	for _, s := range client.Stages {
		names = append(names, string(s.API))
	}
	return names
}

// addCollectorFlags declares --[no-]collector.<name> for each collector,
// as node_exporter does.
func addCollectorFlags(app *kingpin.Application, c *config) {
	c.collectors = map[string]*bool{}
	for _, name := range collectorNames() {
		help := "List the Embed APIs that --twelvelabs.embed-api names (GET /embed/tasks, /embed-v2/tasks)."
		if s := client.StageOf(client.API(name)); s != nil {
			help = fmt.Sprintf("List GET %s (%s stage).", s.Path, name)
		}
		def := "false"
		if collectorDefaults[name] {
			def = "true"
		}
		c.collectors[name] = app.Flag("collector."+name, help).Default(def).Bool()
	}
}

// enabled tells whether the collector runs: its flag, or the account's
// collectors: entry.
func (c *config) enabled(name string) bool {
	if on, ok := c.collectorOverrides[name]; ok {
		return on
	}
	if p := c.collectors[name]; p != nil {
		return *p
	}
	return collectorDefaults[name]
}

// listedAPIs are the list endpoints the account's exporter lists: the
// Embed APIs when the embed collector runs, then each stage turned on.
func (c *config) listedAPIs() ([]client.API, error) {
	var apis []client.API
	if c.enabled(embedCollector) {
		embed, err := c.embedAPIs()
		if err != nil {
			return nil, err
		}
		apis = append(apis, embed...)
	}
	for _, s := range client.Stages {
		if c.enabled(string(s.API)) {
			apis = append(apis, s.API)
		}
	}
	if len(apis) == 0 {
		return nil, fmt.Errorf("every collector is off: turn one on, e.g. --collector.%s", embedCollector)
	}
	return apis, nil
}

// checkCollectorNames names an unknown collector of a config file's
// collectors: map.
func checkCollectorNames(m map[string]bool) error {
	for name := range m {
		if !slices.Contains(collectorNames(), name) {
			if hint := suggest(name, collectorNames()); hint != "" {
				return fmt.Errorf("unknown collector %q%s", name, hint)
			}
			return fmt.Errorf("unknown collector %q (want one of %s)", name, strings.Join(collectorNames(), ", "))
		}
	}
	return nil
}
