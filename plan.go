package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/twelvelabs-community/twelvelabs_exporter/collector"
)

// planConfig is an organisation's plan as its owner declares it, in the
// units TwelveLabs' plans state; zero is not declared. The flags declare
// it for the one account of the flags, an organisation's plan: in
// --config.file for its accounts.
type planConfig struct {
	MediaMinutesPerHour float64 `yaml:"media_minutes_per_hour,omitempty"`
	MediaMinutesPerDay  float64 `yaml:"media_minutes_per_day,omitempty"`
	TokensPerMinute     float64 `yaml:"tokens_per_minute,omitempty"`
	TokensPerDay        float64 `yaml:"tokens_per_day,omitempty"`
	RequestsPerMinute   float64 `yaml:"requests_per_minute,omitempty"`
	RequestsPerDay      float64 `yaml:"requests_per_day,omitempty"`
}

// planFields are the plan's fields by name, for the flags and the checks.
func (p *planConfig) fields() []struct {
	name string
	v    *float64
} {
	return []struct {
		name string
		v    *float64
	}{
		{"media_minutes_per_hour", &p.MediaMinutesPerHour}, {"media_minutes_per_day", &p.MediaMinutesPerDay},
		{"tokens_per_minute", &p.TokensPerMinute}, {"tokens_per_day", &p.TokensPerDay},
		{"requests_per_minute", &p.RequestsPerMinute}, {"requests_per_day", &p.RequestsPerDay},
	}
}

func addPlanFlags(app *kingpin.Application, c *config) {
	help := map[string]string{
		"media_minutes_per_hour": "Minutes of media (indexing, embedding, analysis) the organisation's plan allows an hour; 0: not declared.",
		"media_minutes_per_day":  "Minutes of media the organisation's plan allows a day; 0: not declared.",
		"tokens_per_minute":      "Tokens (analysis) the organisation's plan allows a minute; 0: not declared.",
		"tokens_per_day":         "Tokens the organisation's plan allows a day; 0: not declared.",
		"requests_per_minute":    "Requests the organisation's plan allows a minute, all keys and endpoints together; 0: not declared.",
		"requests_per_day":       "Requests the organisation's plan allows a day; 0: not declared.",
	}
	for _, f := range c.plan.fields() {
		app.Flag("plan."+strings.ReplaceAll(f.name, "_", "-"), help[f.name]).Default("0").Float64Var(f.v)
	}
}

// maxPlanLimit bounds a declared limit: far past any plan, and exact in a
// float64.
const maxPlanLimit = 1e12

// check says which declared limit is not a sane number, its name after
// prefix ("--plan." for the flags, "plan." in the file).
func (p planConfig) check(prefix string) error {
	for _, f := range p.fields() {
		if v := *f.v; !(v >= 0 && v <= maxPlanLimit) || math.IsInf(v, 0) {
			name := f.name
			if strings.HasPrefix(prefix, "--") {
				name = strings.ReplaceAll(name, "_", "-")
			}
			return fmt.Errorf("%s%s=%g: want zero (not declared) or a limit up to %g", prefix, name, v, float64(maxPlanLimit))
		}
	}
	return nil
}

// collector turns the plan into the collector's base units.
func (p planConfig) collector() collector.Plan {
	return collector.Plan{
		MediaSecondsPerHour: p.MediaMinutesPerHour * 60, MediaSecondsPerDay: p.MediaMinutesPerDay * 60,
		TokensPerMinute: p.TokensPerMinute, TokensPerDay: p.TokensPerDay,
		RequestsPerMinute: p.RequestsPerMinute, RequestsPerDay: p.RequestsPerDay,
	}
}
