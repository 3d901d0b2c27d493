// Package client lists embedding tasks from the TwelveLabs API.
//
// It knows HTTP and JSON and nothing of Prometheus: a listing walks every
// page of one Embed API and returns an aggregate (counts, media durations,
// oldest creation time per model and status) that callers turn into metrics.
package client

import "fmt"

// API names one of the TwelveLabs Embed APIs that list embedding tasks.
type API string

const (
	// V1 is Embed API v1, GET /embed/tasks (to be deprecated by TwelveLabs).
	V1 API = "v1"
	// V2 is Embed API v2, GET /embed-v2/tasks; its tasks may carry audio.
	V2 API = "v2"
)

// APIs lists every known Embed API, in the order they are listed and exported.
var APIs = []API{V1, V2}

// Path is the list endpoint of the API, relative to the base URL.
func (a API) Path() string {
	if s := StageOf(a); s != nil {
		return s.Path
	}
	if a == V2 {
		return "/embed-v2/tasks"
	}
	return "/embed/tasks"
}

// ParseAPI turns "v1" or "v2" into an API.
func ParseAPI(s string) (API, error) {
	switch API(s) {
	case V1, V2:
		return API(s), nil
	}
	return "", fmt.Errorf("unknown Embed API %q (want v1 or v2)", s)
}
