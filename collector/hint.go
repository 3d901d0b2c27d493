package collector

import (
	"context"
	"errors"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// hint says in a few words what an operator can do about a failed listing.
func hint(err error) string {
	var ae *client.APIError
	switch {
	case errors.As(err, &ae) && ae.KeyRejected():
		return "the API key is invalid, expired or not allowed: rotate it"
	case errors.As(err, &ae) && ae.RateLimited():
		return "rate-limited: scrape less often, lower --twelvelabs.concurrency or turn on --twelvelabs.cache-ttl"
	case errors.As(err, &ae) && ae.NotFound():
		return "check --twelvelabs.url (it should end in the API version, such as /v1.3)"
	case errors.As(err, &ae) && ae.ServerFault():
		return "the API is failing: see the TwelveLabs status page; the exporter retries on the next scrape"
	case errors.Is(err, context.DeadlineExceeded):
		return "the listing did not finish in time: raise --twelvelabs.timeout or --twelvelabs.concurrency"
	}
	return "see the error; the exporter lists again on the next scrape"
}
