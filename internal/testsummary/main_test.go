package main

import (
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
