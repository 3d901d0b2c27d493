//go:build race

package e2e

// raceEnabled: the tests run with -race, so the binaries they build do too.
const raceEnabled = true
