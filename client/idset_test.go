package client

import (
	"math/rand/v2"
	"testing"
)

func TestIDSet(t *testing.T) {
	for _, hint := range []int{0, 10, 1000, -5} {
		s := newIDSet(hint)
		seen := map[uint64]bool{}
		rng := rand.New(rand.NewPCG(1, uint64(hint+10)))
		for i := 0; i < 5000; i++ {
			h := rng.Uint64() % 3000 // many repeats, and 0
			key := h
			if key == 0 { // the set stores 0 as 1
				key = 1
			}
			if added := s.insert(h); added == seen[key] {
				t.Fatalf("hint %d: insert(%d) = %v after %d inserts", hint, h, added, i)
			}
			seen[key] = true
		}
		if s.n != len(seen) {
			t.Errorf("hint %d: %d in the set, want %d", hint, s.n, len(seen))
		}
		if 4*s.n > 3*len(s.slots) {
			t.Errorf("hint %d: load %d/%d above 3/4", hint, s.n, len(s.slots))
		}
	}
}
