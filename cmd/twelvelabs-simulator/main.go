// Command twelvelabs-simulator serves the TwelveLabs embedding-task list
// endpoints from generated tasks, for demos, tests and benchmarks without a
// TwelveLabs account.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

func main() {
	app := kingpin.New("twelvelabs-simulator", "Serves GET /v1.3/embed/tasks and /v1.3/embed-v2/tasks from generated tasks.")
	listen := app.Flag("listen-address", "Address to listen on.").Default("127.0.0.1:10158").String()
	key := app.Flag("api-key", "The x-api-key the simulator accepts.").Default("sim-key").String()
	v1 := app.Flag("v1-tasks", "Tasks listed by Embed API v1.").Default("600").Int()
	v2 := app.Flag("v2-tasks", "Tasks listed by Embed API v2.").Default("637").Int()
	seed := app.Flag("seed", "Seed of the generated tasks.").Default("1").Uint64()
	failed := app.Flag("failed-ratio", "Share of tasks that failed.").Default("0.05").Float64()
	processing := app.Flag("processing-ratio", "Share of tasks still processing.").Default("0.1").Float64()
	latency := app.Flag("latency", "Delay added to every request.").Default("0s").Duration()
	kingpin.MustParse(app.Parse(os.Args[1:]))

	sim := simulator.New(*key)
	sim.SetLatency(*latency)
	now := time.Now()
	for api, n := range map[string]int{"v1": *v1, "v2": *v2} {
		sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{
			Seed: *seed, N: n, Now: now, API: api, FailedRatio: *failed, ProcessingRatio: *processing,
		}))
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "twelvelabs-simulator: error: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("twelvelabs-simulator: serving http://%s%s (key %q)\n", ln.Addr(), simulator.BasePath, *key)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintf(os.Stderr, "twelvelabs-simulator: error: %v\n", err)
		os.Exit(1)
	}
}
