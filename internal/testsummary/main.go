// Command testsummary reads `go test -json` on stdin and prints what a
// person needs of it: each package's result line, the whole output of
// every test that failed, and at the end every test that was skipped with
// the reason it gave, and the slowest packages. It exits 1 when a test or
// a package failed (a build error included), so that make stops.
//
//	go test -json ./... | go run ./internal/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// event is one line of test2json's output.
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type key struct{ pkg, test string }

type summary struct {
	out      io.Writer
	buf      map[key][]string
	skipped  []string
	failed   []string
	elapsed  map[string]float64
	anyFail  bool
	packages int
}

func main() {
	failed, err := run(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// run reads test2json events from in and writes the summary to out; failed
// is true when a test or a package failed.
func run(in io.Reader, out io.Writer) (failed bool, err error) {
	s := &summary{out: out, buf: map[key][]string{}, elapsed: map[string]float64{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			// Not test2json (a build error printed by go itself): as is,
			// and a failure, since go test printed it instead of testing.
			fmt.Fprintln(s.out, sc.Text())
			s.anyFail = s.anyFail || strings.TrimSpace(sc.Text()) != ""
			continue
		}
		s.add(e)
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	return s.end(), nil
}

func (s *summary) add(e event) {
	k := key{e.Package, e.Test}
	switch e.Action {
	case "build-output": // go 1.24 and later: the compiler's errors
		_, _ = io.WriteString(s.out, e.Output)
	case "build-fail":
		s.anyFail = true
	case "output":
		s.buf[k] = append(s.buf[k], e.Output)
	case "fail":
		s.anyFail = true
		if e.Test != "" {
			s.failed = append(s.failed, e.Package+" "+e.Test)
			fmt.Fprintf(s.out, "--- FAIL: %s %s\n%s", e.Package, e.Test, strings.Join(s.buf[k], ""))
		} else {
			// The package's own output: build errors, panics, its FAIL line.
			_, _ = io.WriteString(s.out, strings.Join(s.buf[k], ""))
			s.elapsed[e.Package] = e.Elapsed
			s.packages++
		}
		delete(s.buf, k)
	case "skip":
		if e.Test != "" {
			s.skipped = append(s.skipped, fmt.Sprintf("%s %s: %s", short(e.Package), e.Test, reason(s.buf[k])))
		} else {
			fmt.Fprintf(s.out, "?   \t%s\t[no test files]\n", e.Package)
		}
		delete(s.buf, k)
	case "pass":
		if e.Test == "" {
			for _, line := range s.buf[k] {
				if strings.HasPrefix(line, "ok") {
					_, _ = io.WriteString(s.out, line)
				}
			}
			s.elapsed[e.Package] = e.Elapsed
			s.packages++
		}
		delete(s.buf, k)
	}
}

// reason is what a skipped test said, without the lines test2json adds.
func reason(lines []string) string {
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		// "file_test.go:12: message" -> "message (file_test.go:12)"
		if i := strings.Index(t, ": "); i > 0 && strings.Contains(t[:i], "_test.go:") {
			t = t[i+2:] + " (" + t[:i] + ")"
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return "no reason given"
	}
	return strings.Join(out, "; ")
}

func short(pkg string) string {
	const module = "github.com/twelvelabs-community/twelvelabs_exporter"
	if pkg == module {
		return "."
	}
	return strings.TrimPrefix(pkg, module+"/")
}

// end prints the summary; true when something failed.
func (s *summary) end() bool {
	fmt.Fprintf(s.out, "\n=== summary: %d packages", s.packages)
	if len(s.failed) > 0 || s.anyFail {
		fmt.Fprintf(s.out, ", FAILED: %d tests", len(s.failed))
	}
	fmt.Fprintf(s.out, ", %d tests skipped\n", len(s.skipped))
	for _, f := range s.failed {
		fmt.Fprintf(s.out, "FAIL  %s\n", f)
	}
	slices.Sort(s.skipped)
	for _, sk := range s.skipped {
		fmt.Fprintf(s.out, "SKIP  %s\n", sk)
	}
	type pkgTime struct {
		pkg string
		d   time.Duration
	}
	var times []pkgTime
	for p, secs := range s.elapsed {
		times = append(times, pkgTime{short(p), time.Duration(secs * float64(time.Second))})
	}
	slices.SortFunc(times, func(a, b pkgTime) int { return int(b.d - a.d) })
	if len(times) > 3 {
		times = times[:3]
	}
	var slow []string
	for _, t := range times {
		slow = append(slow, fmt.Sprintf("%s %s", t.pkg, t.d.Round(100*time.Millisecond)))
	}
	fmt.Fprintf(s.out, "slowest packages: %s\n", strings.Join(slow, ", "))
	return s.anyFail
}
