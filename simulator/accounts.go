package simulator

import (
	"net/http"
	"strings"
)

// Accounts serves many accounts behind one address, as the real API does:
// each request goes to the account whose key it carries, so that tests and
// benchmarks can run one exporter against many organisations.
type Accounts struct {
	byKey map[string]*Server
}

// NewAccounts serves each Server under its key.
func NewAccounts(byKey map[string]*Server) *Accounts {
	return &Accounts{byKey: byKey}
}

func (a *Accounts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		http.Error(w, "control each account's Server directly", http.StatusNotFound)
		return
	}
	s, ok := a.byKey[r.Header.Get("x-api-key")]
	if !ok {
		writeError(w, http.StatusUnauthorized, "api_key_invalid",
			"API Key is either invalid or expired. Please check your API key and try again.")
		return
	}
	s.ServeHTTP(w, r)
}
