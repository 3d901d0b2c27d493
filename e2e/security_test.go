package e2e

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// The exporter behind exporter-toolkit's web configuration: TLS and basic
// auth, end to end on the built binary.
func TestTLSAndBasicAuth(t *testing.T) {
	parallel(t)
	dir := t.TempDir()
	_, _, pool := certFor(t, dir, "127.0.0.1")
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web-config.yml")
	if err := os.WriteFile(webConfig, []byte("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"+
		"basic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := simulator.New(simKey)
	sim.SetTasks("v1", simulator.Generate(simulator.GenerateOptions{Seed: 1, N: 10, Now: time.Now(), API: "v1"}))
	api := httptest.NewServer(sim)
	defer api.Close()
	srv := api.URL

	addr := testproc.FreeAddr(t)
	p := testproc.Start(t, binary, []string{"TWELVELABS_API_KEY=" + simKey}, "--web.listen-address="+addr,
		"--web.config.file="+webConfig, "--twelvelabs.url="+srv+simulator.BasePath, "--twelvelabs.embed-api=v1")
	httpsClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(url, user, pass string) (int, string, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := httpsClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp.StatusCode, b.String(), nil
	}
	testproc.Eventually(t, 10*time.Second, 50*time.Millisecond, func() string {
		if _, _, err := get("https://"+addr+"/", "", ""); err != nil {
			return err.Error()
		}
		return ""
	})
	if code, body, err := get("https://"+addr+"/metrics", "prometheus", "s3cret-pass"); err != nil || code != 200 || !strings.Contains(body, `twelvelabs_up{api="v1"} 1`) {
		t.Errorf("correct credentials over TLS: %d %v", code, err)
	}
	for _, c := range []struct{ user, pass string }{{"prometheus", "wrong"}, {"", ""}, {"admin", "s3cret-pass"}} {
		if code, body, err := get("https://"+addr+"/metrics", c.user, c.pass); err != nil || code != http.StatusUnauthorized || strings.Contains(body, "twelvelabs_") {
			t.Errorf("user %q password %q: %d %v, want 401 and no metrics", c.user, c.pass, code, err)
		}
	}
	if code, _, _ := get("https://"+addr+"/", "prometheus", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("landing page with a wrong password: %d, want 401", code)
	}
	// Plain HTTP to the TLS port gets no metrics.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/metrics")
	if err == nil {
		body := make([]byte, 512)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(body[:n]), "twelvelabs_") {
			t.Errorf("plain HTTP to the TLS port: %d %q", resp.StatusCode, body[:n])
		}
	}
	if strings.Contains(p.Logs(), simKey) || strings.Contains(p.Logs(), "s3cret-pass") {
		t.Error("a secret reached the log")
	}
}
