package e2e

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// The API behind an HTTPS proxy ($HTTPS_PROXY) and a private CA
// ($SSL_CERT_FILE), as in a locked-down network: the exporter reaches it
// through the proxy's CONNECT and trusts the certificate by that CA only.
// The API's host name resolves nowhere but at the proxy.
func TestHTTPSProxyAndCustomCA(t *testing.T) {
	parallel(t)
	dir := t.TempDir()
	cert, caFile, _ := certFor(t, dir, "api.twelvelabs.test")
	sim := simulator.New(simKey)
	sim.SetTasks(simulator.V1, simulator.Generate(simulator.GenerateOptions{Seed: 2, N: 33, Now: time.Now().Add(-2 * time.Second), API: simulator.V1}))
	api := httptest.NewUnstartedServer(sim)
	api.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	api.StartTLS()
	defer api.Close()

	var tunnels atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || !strings.HasPrefix(r.Host, "api.twelvelabs.test:") {
			http.Error(w, "CONNECT to api.twelvelabs.test only", http.StatusForbidden)
			return
		}
		upstream, err := net.Dial("tcp", api.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		tunnels.Add(1)
		w.WriteHeader(http.StatusOK)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		go func() { _, _ = io.Copy(upstream, buf); upstream.Close() }()
		_, _ = io.Copy(conn, upstream)
		conn.Close()
	}))
	defer proxy.Close()

	_, port, _ := net.SplitHostPort(api.Listener.Addr().String())
	url := "https://api.twelvelabs.test:" + port + simulator.BasePath
	p := startExporter(t, []string{"TWELVELABS_API_KEY=" + simKey, "HTTPS_PROXY=" + proxy.URL, "SSL_CERT_FILE=" + caFile},
		"--twelvelabs.url="+url, "--twelvelabs.embed-api=v1")
	_, body := get(t, "http://"+p.addr+"/metrics", nil)
	mfs := testproc.ParseMetrics(t, body)
	if up, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": "v1"}); up != 1 || tunnels.Load() == 0 {
		t.Fatalf("through the proxy with the private CA: up %v, %d tunnels:\n%s", up, tunnels.Load(), p.Logs())
	}
	if got := testproc.Sum(mfs, "twelvelabs_embed_tasks", "api", "v1"); got != 33 {
		t.Errorf("%v tasks, want 33", got)
	}

	// Without the CA the certificate is refused: a transport failure, said so.
	q := startExporter(t, []string{"TWELVELABS_API_KEY=" + simKey, "HTTPS_PROXY=" + proxy.URL, "SSL_CERT_FILE=/dev/null"},
		"--twelvelabs.url="+url, "--twelvelabs.embed-api=v1")
	_, body = get(t, "http://"+q.addr+"/metrics", nil)
	if up, _ := testproc.Value(testproc.ParseMetrics(t, body), "twelvelabs_up", map[string]string{"api": "v1"}); up != 0 ||
		!strings.Contains(q.Logs(), "reason=transport") || !strings.Contains(q.Logs(), "certificate") {
		t.Errorf("an untrusted certificate should fail the listing with reason transport:\n%s", q.Logs())
	}
}
