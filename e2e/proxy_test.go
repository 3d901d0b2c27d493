package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	dir := t.TempDir()
	cert, caFile := certFor(t, dir, "api.twelvelabs.test")
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

// certFor makes a CA and a certificate it signs for host; it writes the CA
// to a PEM file and returns both.
func certFor(t *testing.T, dir, host string) (tls.Certificate, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}
