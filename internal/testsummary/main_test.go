package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// A stream as `go test -json` writes it: one package passing with a
// skipped test, one failing test in another, one package that does not
// build (go prints that outside test2json).
const stream = `{"Action":"start","Package":"example.com/m/a"}
{"Action":"run","Package":"example.com/m/a","Test":"TestOK"}
{"Action":"output","Package":"example.com/m/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"example.com/m/a","Test":"TestOK","Elapsed":0}
{"Action":"run","Package":"example.com/m/a","Test":"TestProm"}
{"Action":"output","Package":"example.com/m/a","Test":"TestProm","Output":"=== RUN   TestProm\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestProm","Output":"    e2e_test.go:40: prometheus not installed: apt-get install prometheus\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestProm","Output":"--- SKIP: TestProm (0.00s)\n"}
{"Action":"skip","Package":"example.com/m/a","Test":"TestProm","Elapsed":0}
{"Action":"output","Package":"example.com/m/a","Output":"PASS\n"}
{"Action":"output","Package":"example.com/m/a","Output":"ok  \texample.com/m/a\t0.5s\n"}
{"Action":"pass","Package":"example.com/m/a","Elapsed":0.5}
{"Action":"run","Package":"example.com/m/b","Test":"TestBad"}
{"Action":"output","Package":"example.com/m/b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"example.com/m/b","Test":"TestBad","Output":"    b_test.go:9: got 1, want 2\n"}
{"Action":"output","Package":"example.com/m/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"example.com/m/b","Test":"TestBad","Elapsed":0}
{"Action":"output","Package":"example.com/m/b","Output":"FAIL\texample.com/m/b\t2.0s\n"}
{"Action":"fail","Package":"example.com/m/b","Elapsed":2}
`

func TestSummaryShowsFailuresAndSkipsWithReasons(t *testing.T) {
	var out strings.Builder
	failed, err := run(strings.NewReader(stream), &out)
	if err != nil || !failed {
		t.Errorf("failed %v, err %v; want a failure reported", failed, err)
	}
	got := out.String()
	for _, want := range []string{
		"ok  \texample.com/m/a\t0.5s\n",
		"--- FAIL: example.com/m/b TestBad\n",
		"b_test.go:9: got 1, want 2",
		"FAIL\texample.com/m/b\t2.0s",
		"=== summary: 2 packages, FAILED: 1 tests, 1 tests skipped",
		"SKIP  example.com/m/a TestProm: prometheus not installed: apt-get install prometheus (e2e_test.go:40)",
		"slowest packages: example.com/m/b 2s, example.com/m/a 500ms",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "=== RUN   TestOK") {
		t.Errorf("a passing test's output is shown:\n%s", got)
	}
	// Passing and skipping only: no failure.
	pass := strings.Join(strings.Split(stream, "\n")[:13], "\n") + "\n"
	out.Reset()
	if failed, _ := run(strings.NewReader(pass), &out); failed {
		t.Errorf("a passing stream reported a failure:\n%s", out.String())
	}
	// A build error is printed by go outside test2json: a failure.
	out.Reset()
	if failed, _ := run(strings.NewReader("# example.com/m/c\nc.go:3:1: syntax error\n"), &out); !failed || !strings.Contains(out.String(), "syntax error") {
		t.Errorf("a build error: failed %v, output %q", failed, out.String())
	}
}

// Go 1.24 and later report a test binary's build errors as build-output
// and build-fail events.
func TestBuildFailureEventsFail(t *testing.T) {
	const s = `{"ImportPath":"bf [bf.test]","Action":"build-output","Output":"./bf.go:2:12: undefined: x\n"}
{"ImportPath":"bf [bf.test]","Action":"build-fail"}
{"Action":"start","Package":"bf"}
{"Action":"output","Package":"bf","Output":"FAIL\tbf [build failed]\n"}
{"Action":"fail","Package":"bf","Elapsed":0}
`
	var out strings.Builder
	if failed, err := run(strings.NewReader(s), &out); err != nil || !failed || !strings.Contains(out.String(), "undefined: x") {
		t.Errorf("failed %v, err %v, output:\n%s", failed, err, out.String())
	}
}

// Runs that went on beside the one on stdin, named on the command line:
// their packages carry the label, -show prints what their passing tests
// logged for people, a run of no test fails, and anything that is not
// test2json fails as on stdin.
func TestNamedRuns(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pass := strings.Join(strings.Split(stream, "\n")[:13], "\n") + "\n"
	long := file("long.json", `{"Action":"run","Package":"github.com/twelvelabs-community/twelvelabs_exporter/collector","Test":"TestLong/a"}
{"Action":"output","Package":"github.com/twelvelabs-community/twelvelabs_exporter/collector","Test":"TestLong/a","Output":"    x_test.go:7: a 200 scrapes, 10.5 requests a scrape\n"}
{"Action":"output","Package":"github.com/twelvelabs-community/twelvelabs_exporter/collector","Test":"TestLong/a","Output":"    x_test.go:8: not shown\n"}
{"Action":"pass","Package":"github.com/twelvelabs-community/twelvelabs_exporter/collector","Test":"TestLong/a","Elapsed":3}
{"Action":"pass","Package":"github.com/twelvelabs-community/twelvelabs_exporter/collector","Test":"TestLong","Elapsed":3}
{"Action":"output","Package":"github.com/twelvelabs-community/twelvelabs_exporter/collector","Output":"ok  \tgithub.com/twelvelabs-community/twelvelabs_exporter/collector\t3.0s\n"}
{"Action":"pass","Package":"github.com/twelvelabs-community/twelvelabs_exporter/collector","Elapsed":3}
`)
	none := file("none.json", `{"Action":"output","Package":"example.com/m/a","Output":"testing: warning: no tests to run\n"}
{"Action":"output","Package":"example.com/m/a","Output":"ok  \texample.com/m/a\t0.1s [no tests to run]\n"}
{"Action":"pass","Package":"example.com/m/a","Elapsed":0.1}
`)
	broken := file("broken.log", "helm-check: FAIL: helm lint\n")

	var out strings.Builder
	failed, err := runAll(strings.NewReader(pass), []namedRun{{"full-length", long}}, regexp.MustCompile(`requests a scrape`), &out)
	got := out.String()
	if err != nil || failed {
		t.Errorf("failed %v, err %v:\n%s", failed, err, got)
	}
	for _, want := range []string{
		"ok  \texample.com/m/a\t0.5s\n",
		"    x_test.go:7: a 200 scrapes, 10.5 requests a scrape\nok  \tgithub.com/twelvelabs-community/twelvelabs_exporter/collector\t3.0s [full-length]\n",
		"=== summary: 2 packages, 1 tests skipped",
		"slowest packages: collector [full-length] 3s, example.com/m/a 500ms",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "not shown") {
		t.Errorf("a line -show does not match is shown:\n%s", got)
	}

	out.Reset()
	if failed, err := runAll(strings.NewReader(pass), []namedRun{{"full-length", none}}, nil, &out); err != nil || !failed ||
		!strings.Contains(out.String(), "FAIL  [full-length] ran no test") {
		t.Errorf("a named run of no test: failed %v, err %v:\n%s", failed, err, out.String())
	}
	out.Reset()
	if failed, err := runAll(strings.NewReader(pass), []namedRun{{"helm", broken}}, nil, &out); err != nil || !failed ||
		!strings.Contains(out.String(), "helm-check: FAIL: helm lint") {
		t.Errorf("a named run that is not test2json: failed %v, err %v:\n%s", failed, err, out.String())
	}
	out.Reset()
	if _, err := runAll(strings.NewReader(pass), []namedRun{{"gone", dir + "/nope.json"}}, nil, &out); err == nil {
		t.Error("a named run's missing file: no error")
	}
}

// A test binary that dies in the middle of a test (a panic, a timeout):
// what the test wrote is shown with the package's failure.
func TestOutputOfATestThatNeverEnded(t *testing.T) {
	const s = `{"Action":"run","Package":"p","Test":"TestDies"}
{"Action":"output","Package":"p","Test":"TestDies","Output":"=== RUN   TestDies\n"}
{"Action":"output","Package":"p","Test":"TestDies","Output":"panic: test timed out after 30m0s\n"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t1800.1s\n"}
{"Action":"fail","Package":"p","Elapsed":1800.1}
`
	var out strings.Builder
	if failed, err := run(strings.NewReader(s), &out); err != nil || !failed ||
		!strings.Contains(out.String(), "--- p TestDies, which never ended:\n=== RUN   TestDies\npanic: test timed out after 30m0s\nFAIL\tp") {
		t.Errorf("failed %v, err %v, output:\n%s", failed, err, out.String())
	}
}
