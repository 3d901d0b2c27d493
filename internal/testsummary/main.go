// Command testsummary reads `go test -json` on stdin and prints what a
// person needs of it: each package's result line, the whole output of
// every test that failed, and at the end every test that was skipped with
// the reason it gave, and the slowest packages. It exits 1 when a test or
// a package failed (a build error included), so that make stops.
//
//	go test -json ./... | go run ./internal/testsummary
//
// Other runs that went on at the same time (make test runs several at
// once) are named as arguments, LABEL=FILE, each a file of `go test -json`
// (or of anything else, which is printed as is and fails, like a build
// error on stdin) read when stdin ends: their packages are reported as
// "package [LABEL]", and a run of no test at all fails, since a -run
// pattern that names no test passes silently in go test. -show REGEXP
// prints the output lines of their passing tests that match (numbers a
// test logs for people to read).
//
//	go run ./internal/testsummary -show 'requests a scrape' full-length=differential.json <race.json
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
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
	out io.Writer
	// label, show: of the named run being read ("" and nil for stdin).
	label    string
	show     *regexp.Regexp
	tests    int // tests that ran in the named run being read
	shown    map[key][]string
	buf      map[key][]string
	skipped  []string
	failed   []string
	elapsed  map[string]float64
	anyFail  bool
	packages int
}

func main() {
	show := flag.String("show", "", "print the output lines of the named runs' passing tests that match this regular expression")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go test -json ./... | testsummary [-show REGEXP] [LABEL=FILE ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	var runs []namedRun
	for _, arg := range flag.Args() {
		label, file, ok := strings.Cut(arg, "=")
		if !ok || label == "" || file == "" {
			flag.Usage()
			os.Exit(2)
		}
		runs = append(runs, namedRun{label, file})
	}
	var showRe *regexp.Regexp
	if *show != "" {
		var err error
		if showRe, err = regexp.Compile(*show); err != nil {
			fmt.Fprintln(os.Stderr, "testsummary: -show:", err)
			os.Exit(2)
		}
	}
	failed, err := runAll(os.Stdin, runs, showRe, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// namedRun is a file of go test -json from another run, and its label.
type namedRun struct{ label, file string }

// run reads test2json events from in and writes the summary to out; failed
// is true when a test or a package failed.
func run(in io.Reader, out io.Writer) (failed bool, err error) {
	return runAll(in, nil, nil, out)
}

// runAll reads in, then each named run's file, and writes the summary of
// them all to out.
func runAll(in io.Reader, runs []namedRun, show *regexp.Regexp, out io.Writer) (failed bool, err error) {
	s := &summary{out: out, buf: map[key][]string{}, elapsed: map[string]float64{}, shown: map[key][]string{}}
	if err := s.read(in); err != nil {
		return true, err
	}
	for _, r := range runs {
		f, err := os.Open(r.file)
		if err != nil {
			return true, err
		}
		s.label, s.show, s.tests = r.label, show, 0
		err = s.read(f)
		_ = f.Close() // read only
		if err != nil {
			return true, fmt.Errorf("%s: %w", r.file, err)
		}
		if s.tests == 0 {
			s.anyFail = true
			s.failed = append(s.failed, fmt.Sprintf("[%s] ran no test (%s)", r.label, r.file))
			fmt.Fprintf(s.out, "--- FAIL: [%s] ran no test: %s holds no test's result\n", r.label, r.file)
		}
	}
	return s.end(), nil
}

func (s *summary) read(in io.Reader) error {
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
		if s.label != "" && e.Package != "" {
			e.Package += " [" + s.label + "]"
			if e.Test == "" && e.Action == "output" && (strings.HasPrefix(e.Output, "ok") || strings.HasPrefix(e.Output, "FAIL") || strings.HasPrefix(e.Output, "?")) {
				e.Output = strings.TrimSuffix(e.Output, "\n") + " [" + s.label + "]\n" // its result line
			}
		}
		s.add(e)
	}
	return sc.Err()
}

func (s *summary) add(e event) {
	k := key{e.Package, e.Test}
	if e.Test != "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip") {
		s.tests++
	}
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
			// What its tests wrote that never ended (a panic, a timeout, an
			// exit in the middle of one), then the package's own output:
			// build errors, panics, its FAIL line.
			var open []key
			for tk := range s.buf {
				if tk.pkg == e.Package && tk.test != "" {
					open = append(open, tk)
				}
			}
			slices.SortFunc(open, func(a, b key) int { return strings.Compare(a.test, b.test) })
			for _, tk := range open {
				fmt.Fprintf(s.out, "--- %s %s, which never ended:\n%s", e.Package, tk.test, strings.Join(s.buf[tk], ""))
				delete(s.buf, tk)
			}
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
		if e.Test != "" && s.show != nil {
			pk := key{e.Package, ""}
			for _, line := range s.buf[k] {
				if s.show.MatchString(line) {
					s.shown[pk] = append(s.shown[pk], line)
				}
			}
		}
		if e.Test == "" {
			_, _ = io.WriteString(s.out, strings.Join(s.shown[k], ""))
			delete(s.shown, k)
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
	pkg, label, labelled := strings.Cut(pkg, " [") // "package [LABEL]", of a named run
	if pkg == module {
		pkg = "."
	}
	pkg = strings.TrimPrefix(pkg, module+"/")
	if labelled {
		pkg += " [" + label
	}
	return pkg
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
