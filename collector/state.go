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
}

// states holds one apiState per configured API; the set of APIs is fixed
// at construction.
type states struct {
	mu    sync.Mutex
	byAPI map[client.API]*apiState
}

func newStates(apis []client.API) *states {
	s := &states{byAPI: make(map[client.API]*apiState, len(apis))}
	for _, api := range apis {
		s.byAPI[api] = &apiState{}
	}
	return s
}

// get returns a copy of api's state.
func (s *states) get(api client.API) apiState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.byAPI[api]
}

// begin marks a listing of api as running since start.
func (s *states) begin(api client.API, start time.Time) {
	s.mu.Lock()
	s.byAPI[api].running = start
	s.mu.Unlock()
}

// finish records the listing that ended.
func (s *states) finish(api client.API, r result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byAPI[api]
	st.running = time.Time{}
	st.last = r
	if r.err == nil {
		st.good = r
	}
}
