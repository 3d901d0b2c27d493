package e2e

import (
	"crypto/md5"
	binenc "encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// hashmod is Prometheus's hashmod relabelling: the MD5 of the value, its
// last 8 bytes as a big-endian number, modulo m.
func hashmod(v string, m uint64) uint64 {
	sum := md5.Sum([]byte(v))
	return binenc.BigEndian.Uint64(sum[8:]) % m
}

// Scaling out: two exporter replicas share one config of several accounts;
// a real Prometheus probes every account through hashmod-sharded scrape
// configs, one per replica. Every account's series arrive exactly once,
// from the replica its shard names, with that account's task count.
func TestShardedReplicasServeEachAccountOnce(t *testing.T) {
	parallel(t)
	prometheus := testproc.Require(t, "prometheus", "prometheus")
	tmp := t.TempDir()

	// Six accounts, at least one in each shard.
	var names []string
	shards := map[uint64]int{}
	for i := 0; len(names) < 6 || shards[0] == 0 || shards[1] == 0; i++ {
		name := "acct-" + strconv.Itoa(i)
		names = append(names, name)
		shards[hashmod(name, 2)]++
	}
	byKey := map[string]*simulator.Server{}
	var env []string
	var config strings.Builder
	config.WriteString("accounts:\n")
	sizes := map[string]int{}
	for i, name := range names {
		key := fmt.Sprintf("tlk_%s_0123456789abcdef", name)
		sim := simulator.New(key)
		sizes[name] = 10 + 7*i
		sim.SetTasks(simulator.V1, simulator.Generate(simulator.GenerateOptions{Seed: uint64(i), N: sizes[name], Now: time.Now().Add(-2 * time.Second), API: simulator.V1}))
		byKey[key] = sim
		variable := "KEY_" + strings.ReplaceAll(strings.ToUpper(name), "-", "_")
		env = append(env, variable+"="+key)
		fmt.Fprintf(&config, "  - {name: %s, key_env: %s, embed_apis: [v1]}\n", name, variable)
	}
	api := httptest.NewServer(simulator.NewAccounts(byKey))
	defer api.Close()
	configFile := filepath.Join(tmp, "accounts.yml")
	if err := os.WriteFile(configFile, []byte(config.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var replicas []string
	for range 2 {
		p := startExporter(t, env, "--config.file="+configFile, "--twelvelabs.url="+api.URL+simulator.BasePath)
		replicas = append(replicas, p.addr)
	}

	var scrape strings.Builder
	scrape.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
	for shard, addr := range replicas {
		fmt.Fprintf(&scrape, `  - job_name: twelvelabs-shard-%d
    metrics_path: /probe
    static_configs:
      - targets: [%s]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        modulus: 2
        target_label: __tmp_shard
        action: hashmod
      - source_labels: [__tmp_shard]
        regex: "%d"
        action: keep
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: %s
`, shard, strings.Join(names, ", "), shard, addr)
	}
	promConfig := filepath.Join(tmp, "prometheus.yml")
	if err := os.WriteFile(promConfig, []byte(scrape.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	promAddr := testproc.FreeAddr(t)
	testproc.Start(t, prometheus, nil, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(tmp, "data"),
		"--web.listen-address="+promAddr)
	testproc.WaitHTTP(t, "http://"+promAddr+"/-/ready", 30*time.Second)

	var last map[string]string
	testproc.Eventually(t, 60*time.Second, time.Second, func() string {
		series := promQuery(t, promAddr, `sum by (instance, job) (twelvelabs_embed_tasks{api="v1"})`)
		last = map[string]string{}
		for _, s := range series {
			if prev, dup := last[s.Metric["instance"]]; dup {
				return fmt.Sprintf("account %s arrives twice (jobs %s)", s.Metric["instance"], prev)
			}
			last[s.Metric["instance"]] = s.Metric["job"] + "=" + s.Value[1].(string)
		}
		if len(last) != len(names) {
			return fmt.Sprintf("%d of %d accounts so far: %v", len(last), len(names), last)
		}
		return ""
	})
	for _, name := range names {
		want := fmt.Sprintf("twelvelabs-shard-%d=%d", hashmod(name, 2), sizes[name])
		if last[name] != want {
			t.Errorf("account %s: got %s, want %s", name, last[name], want)
		}
	}
}

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
}

func promQuery(t *testing.T, addr, q string) []promSample {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v %s", q, err, r.Status)
	}
	return r.Data.Result
}
