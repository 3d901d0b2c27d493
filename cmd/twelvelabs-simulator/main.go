// Command twelvelabs-simulator serves the TwelveLabs embedding-task list
// endpoints, and those of the pipeline's other stages (indexing, analysis,
// batches, uploads, indexes, assets), from generated items and a live
// workload, for demos, tests and benchmarks without a TwelveLabs account.
//
// --fault picks one of the simulator's fault kinds (simulator.FaultKinds):
// gateway answers (errors, redirects, HTML, key echoes) and the API's own
// pages in unusual shapes (null lists, missing page_info, odd fields, odd
// labels and timestamps, oversized bodies). --steady-week seeds a week-old
// account whose oldest tasks expire during the first listings, as on a real
// account; --rate-limit-headers adds X-Ratelimit-* headers to every page.
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
	app := kingpin.New("twelvelabs-simulator", "Serves GET /v1.3/embed/tasks and /v1.3/embed-v2/tasks, and the pipeline's "+
		"/tasks, /analyze/tasks, /analyze/batches, /assets/multipart-uploads, /indexes and /assets, from generated items, "+
		"with a control API: POST /_sim/config {\"key\",\"latency\",\"workload\",\"fault\",\"rate_limit_headers\"}, "+
		"POST /_sim/tasks {\"api\",\"n\",\"status\",\"age\",\"model\"}. Tasks expire seven days after their creation, "+
		"whatever the rate.")
	listen := app.Flag("listen-address", "Address to listen on.").Default("127.0.0.1:10158").String()
	key := app.Flag("api-key", "The x-api-key the simulator accepts.").Default("sim-key").String()
	v1 := app.Flag("v1-tasks", "Tasks listed by Embed API v1 at start.").Default("600").Int()
	v2 := app.Flag("v2-tasks", "Tasks listed by Embed API v2 at start.").Default("637").Int()
	seed := app.Flag("seed", "Seed of the generated tasks.").Default("1").Uint64()
	failed := app.Flag("failed-ratio", "Share of tasks that fail.").Default("0.03").Float64()
	processing := app.Flag("processing-ratio", "Share of the initial tasks still processing.").Default("0.02").Float64()
	rate := app.Flag("rate", "New tasks per minute per API; 0 stops arrivals (tasks still expire after seven days).").Default("30").Float64()
	stuck := app.Flag("stuck-ratio", "Share of new tasks that stay processing for ever.").Default("0").Float64()
	procTime := app.Flag("processing-time", "Mean time a new task takes to process.").Default("45s").Duration()
	latency := app.Flag("latency", "Delay added to every list request.").Default("0s").Duration()
	faultKind := app.Flag("fault", "Fault to inject into a share (--fault-ratio) of list requests: "+simulator.FaultKindNames()+".").Default("").String()
	faultRatio := app.Flag("fault-ratio", "Share of list requests that get the fault.").Default("0").Float64()
	retryAfter := app.Flag("retry-after", "Retry-After sent with an injected 429 (seconds or an HTTP date); "+
		"with --fault=ratelimit-reset, the X-Ratelimit-Reset seconds.").Default("1").String()
	steadyWeek := app.Flag("steady-week", "Seed both APIs as a week-old account in its steady state: the tasks spread "+
		"over the whole seven days, one in 25 at the retention edge, so that tasks expire at the old end during "+
		"the first listings (and on, as time passes).").Bool()
	pipeItems := app.Flag("pipeline-items", "Items of each of the pipeline's stages at start (indexing, analysis, assets; a twentieth as many "+
		"batches and uploads; three indexes), for the exporter's --collector.<stage> flags.").Default("120").Int()
	pipeRate := app.Flag("pipeline-rate", "New media per minute through the pipeline: each an upload, an asset, an indexing and an "+
		"analysis task (a batch every tenth), moving a status every --pipeline-step; 0 stops arrivals.").Default("6").Float64()
	pipeStep := app.Flag("pipeline-step", "Time a new pipeline item spends in each status.").Default("20s").Duration()
	pipeBacklog := app.Flag("pipeline-backlog", "A stage whose new items stay in their first status (uploads, assets, indexing, analyze, "+
		"batches), as when it backs up; also POST /_sim/config {\"pipeline\":{...}}.").Default("").String()
	rateLimit := app.Flag("rate-limit-headers", "Send X-Ratelimit-Limit (this many requests a minute), -Remaining, "+
		"-Used and -Reset with every 200 page; 0 sends none.").Default("0").Int()
	kingpin.MustParse(app.Parse(os.Args[1:]))
	kind, err := simulator.ParseFaultKind(*faultKind)
	app.FatalIfError(err, "--fault")

	sim := simulator.New(*key)
	sim.SetLatency(*latency)
	sim.SetFault(simulator.Fault{Kind: kind, Ratio: *faultRatio, RetryAfter: *retryAfter})
	if *rateLimit < 0 {
		app.Fatalf("--rate-limit-headers %d: want 0 (none) or a limit per minute", *rateLimit)
	}
	sim.SetRateLimitHeaders(*rateLimit)
	generate := simulator.Generate
	if *steadyWeek {
		generate = simulator.SteadyWeek
	}
	now := time.Now()
	for api, n := range map[string]int{simulator.V1: *v1, simulator.V2: *v2} {
		sim.SetTasks(api, generate(simulator.GenerateOptions{
			Seed: *seed, N: n, Now: now, API: api, FailedRatio: *failed, ProcessingRatio: *processing,
		}))
	}
	sim.SetWorkload(simulator.Workload{RatePerMinute: *rate, FailedRatio: *failed, StuckRatio: *stuck, ProcessingSeconds: procTime.Seconds()})
	if *pipeItems < 0 {
		app.Fatalf("--pipeline-items %d: want 0 or more", *pipeItems)
	}
	for stage, items := range simulator.GeneratePipeline(*seed, *pipeItems, now) {
		sim.SetItems(stage, items)
	}
	err = sim.SetPipelineWorkload(simulator.PipelineWorkload{RatePerMinute: *pipeRate, StepSeconds: pipeStep.Seconds(),
		FailedRatio: *failed, Backlog: *pipeBacklog})
	app.FatalIfError(err, "--pipeline-rate, --pipeline-step, --pipeline-backlog")

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
