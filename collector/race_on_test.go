//go:build race

package collector

// raceEnabled shortens the differential test under -race, which slows the
// simulator's thousands of requests ten-fold; .ci/run also runs it in full
// without the race detector.
const raceEnabled = true
