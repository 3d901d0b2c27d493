// Command twelvelabs-simulator serves the TwelveLabs embedding-task list
// endpoints from generated tasks and a live workload, for demos, tests and
// benchmarks without a TwelveLabs account.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

func main() {
	app := kingpin.New("twelvelabs-simulator", "Serves GET /v1.3/embed/tasks and /v1.3/embed-v2/tasks from generated tasks, "+
		"with a control API: POST /_sim/config {\"key\",\"latency\",\"workload\",\"fault\"}, POST /_sim/tasks {\"api\",\"n\",\"status\",\"age\",\"model\"}.")
	listen := app.Flag("listen-address", "Address to listen on.").Default("127.0.0.1:10158").String()
	key := app.Flag("api-key", "The x-api-key the simulator accepts.").Default("sim-key").String()
	v1 := app.Flag("v1-tasks", "Tasks listed by Embed API v1 at start.").Default("600").Int()
	v2 := app.Flag("v2-tasks", "Tasks listed by Embed API v2 at start.").Default("637").Int()
	seed := app.Flag("seed", "Seed of the generated tasks.").Default("1").Uint64()
	failed := app.Flag("failed-ratio", "Share of tasks that fail.").Default("0.03").Float64()
	processing := app.Flag("processing-ratio", "Share of the initial tasks still processing.").Default("0.02").Float64()
	rate := app.Flag("rate", "New tasks per minute per API; 0 freezes the task set.").Default("30").Float64()
	stuck := app.Flag("stuck-ratio", "Share of new tasks that stay processing for ever.").Default("0").Float64()
	procTime := app.Flag("processing-time", "Mean time a new task takes to process.").Default("45s").Duration()
	latency := app.Flag("latency", "Delay added to every list request.").Default("0s").Duration()
	faultKind := app.Flag("fault", "Fault to inject into a share (--fault-ratio) of list requests: "+simulator.FaultKindNames()+".").Default("").String()
	faultRatio := app.Flag("fault-ratio", "Share of list requests that get the fault.").Default("0").Float64()
	retryAfter := app.Flag("retry-after", "Retry-After sent with an injected 429 (seconds or an HTTP date).").Default("1").String()
	kingpin.MustParse(app.Parse(os.Args[1:]))
	kind, err := simulator.ParseFaultKind(*faultKind)
	app.FatalIfError(err, "--fault")

	sim := simulator.New(*key)
	sim.SetLatency(*latency)
	sim.SetFault(simulator.Fault{Kind: kind, Ratio: *faultRatio, RetryAfter: *retryAfter})
	now := time.Now()
	for api, n := range map[string]int{simulator.V1: *v1, simulator.V2: *v2} {
		sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{
			Seed: *seed, N: n, Now: now, API: api, FailedRatio: *failed, ProcessingRatio: *processing,
		}))
	}
	sim.SetWorkload(simulator.Workload{RatePerMinute: *rate, FailedRatio: *failed, StuckRatio: *stuck, ProcessingSeconds: procTime.Seconds()})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "twelvelabs-simulator: error: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("twelvelabs-simulator: serving http://%s%s (x-api-key %q)\n", ln.Addr(), simulator.BasePath, *key)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "twelvelabs-simulator: error: %v\n", err)
		os.Exit(1)
	}
}
