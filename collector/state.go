package collector

import (
	"sync"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// apiState is what the exporter keeps of one API between scrapes. It is
// read and written only through the methods of states, under its lock.
type apiState struct {
	last    result    // the latest listing to finish, failed or not
	good    result    // the latest listing that succeeded
	running time.Time // start of the listing in flight; zero when none is
	// models and statuses are the label values admitted for export.
	models, statuses *admitted
	folded           folding // of the latest successful listing
}

// states holds one apiState per configured API; the set of APIs is fixed
// at construction.
type states struct {
	mu    sync.Mutex
	byAPI map[client.API]*apiState
}

func newStates(apis []client.API, maxModels int) *states {
	s := &states{byAPI: make(map[client.API]*apiState, len(apis))}
	for _, api := range apis {
		s.byAPI[api] = &apiState{models: newAdmitted(maxModels), statuses: newAdmitted(maxUnknownStatuses)}
	}
	return s
}

// view is a copy of what a scrape reads of an API's state.
type view struct {
	last, good result
	running    time.Time
	folded     folding
}

// get returns a copy of what a scrape reads of api's state.
func (s *states) get(api client.API) view {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byAPI[api]
	return view{last: st.last, good: st.good, running: st.running, folded: st.folded}
}

// begin marks a listing of api as running since start.
func (s *states) begin(api client.API, start time.Time) {
	s.mu.Lock()
	s.byAPI[api].running = start
	s.mu.Unlock()
}

// admitModel is the label a model is exported under: its name while the
// bound on distinct names (Options.MaxModels) has room, else Other.
func (s *states) admitModel(api client.API, model string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byAPI[api].models.admit(model) {
		return model
	}
	return Other
}

// finish records the listing that ended, its label values bounded; first
// is true the first time a listing of api had values folded into Other.
func (s *states) finish(api client.API, r result) (kept result, f folding, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byAPI[api]
	st.running = time.Time{}
	if r.err == nil && r.listing != nil {
		r.listing, st.folded = fold(r.listing, st.models, st.statuses, api.KnownStatuses())
		f = st.folded
		if (f.models > 0 || f.statuses > 0) && !st.models.warned {
			st.models.warned, first = true, true
		}
		st.good = r
	}
	st.last = r
	return r, f, first
}
