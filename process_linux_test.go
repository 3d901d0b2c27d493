package main

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/procfs"
)

// processValues gathers c alone: each family's name, help, type and value.
func processValues(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		if len(mf.Metric) != 1 || len(mf.Metric[0].Label) != 0 {
			t.Fatalf("%s: want one series without labels, got %v", mf.GetName(), mf.Metric)
		}
		byName[mf.GetName()] = mf
	}
	return byName
}

func value(mf *dto.MetricFamily) float64 {
	if m := mf.Metric[0]; m.Counter != nil {
		return m.Counter.GetValue()
	}
	return mf.Metric[0].Gauge.GetValue()
}

// TestProcessCollectorMatchesClientGolang: the same families, help texts
// and types as client_golang's process collector, and values that agree
// with it and with procfs.
func TestProcessCollectorMatchesClientGolang(t *testing.T) {
	ours := newProcessCollector()
	if _, ok := ours.(*processCollector); !ok {
		t.Fatalf("newProcessCollector fell back to client_golang's collector on Linux: %T", ours)
	}
	if problems, err := testutil.CollectAndLint(ours); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	theirs := collectors.NewProcessCollector(collectors.ProcessCollectorOpts{ReportErrors: true})
	before := processValues(t, theirs)
	// Some CPU and some allocation, so that the values move.
	spin := make([][]byte, 0, 64)
	for i := range 64 {
		spin = append(spin, make([]byte, 64<<10))
		spin[i][0] = byte(i)
	}
	got := processValues(t, ours)
	after := processValues(t, theirs)
	_ = spin

	if len(got) != len(before) {
		t.Errorf("%d families, client_golang's collector has %d", len(got), len(before))
	}
	for name, want := range before {
		mf := got[name]
		if mf == nil {
			t.Errorf("%s: missing", name)
			continue
		}
		if mf.GetHelp() != want.GetHelp() || mf.GetType() != want.GetType() {
			t.Errorf("%s: help %q type %v, want %q %v", name, mf.GetHelp(), mf.GetType(), want.GetHelp(), want.GetType())
		}
		lo, hi, v := value(want), value(after[name]), value(mf)
		if lo > hi {
			lo, hi = hi, lo
		}
		var slack float64
		switch name {
		case "process_cpu_seconds_total":
			slack = 0.05
		case "process_resident_memory_bytes", "process_virtual_memory_bytes":
			slack = 0.1 * hi // the runtime maps and frees memory meanwhile
		case "process_open_fds":
			slack = 2
		case "process_network_receive_bytes_total", "process_network_transmit_bytes_total":
			slack = 1 << 20 // the network namespace's counters: other processes' traffic
		}
		if v < lo-slack || v > hi+slack {
			t.Errorf("%s = %g, client_golang's collector read %g then %g", name, v, value(want), value(after[name]))
		}
	}

	// And against procfs directly.
	p, err := procfs.Self()
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Stat()
	if err != nil {
		t.Fatal(err)
	}
	start, err := st.StartTime()
	if err != nil {
		t.Fatal(err)
	}
	if v := value(got["process_start_time_seconds"]); v != start {
		t.Errorf("process_start_time_seconds = %g, procfs reads %g", v, start)
	}
	if v := value(got["process_cpu_seconds_total"]); v > st.CPUTime() || v < st.CPUTime()-0.05 {
		t.Errorf("process_cpu_seconds_total = %g, procfs reads %g after it", v, st.CPUTime())
	}
	limits, err := p.Limits()
	if err != nil {
		t.Fatal(err)
	}
	if v := value(got["process_max_fds"]); v != float64(limits.OpenFiles) {
		t.Errorf("process_max_fds = %g, procfs reads %d", v, limits.OpenFiles)
	}
	if v := value(got["process_virtual_memory_max_bytes"]); v != float64(limits.AddressSpace) {
		t.Errorf("process_virtual_memory_max_bytes = %g, procfs reads %d", v, limits.AddressSpace)
	}
}

// TestProcessCollectorParsesNetstat reads InOctets and OutOctets from the
// IpExt lines only, wherever they are among the protocols.
func TestProcessCollectorParsesNetstat(t *testing.T) {
	c, ok := newProcessCollector().(*processCollector)
	if !ok || c.netstat == nil {
		t.Skip("no /proc/self/net/netstat")
	}
	in, out, ok := c.readNetstat()
	if !ok {
		t.Fatal("could not read /proc/self/net/netstat")
	}
	p, _ := procfs.Self()
	ns, err := p.Netstat()
	if err != nil {
		t.Fatal(err)
	}
	if ns.InOctets == nil || ns.OutOctets == nil {
		t.Skip("no IpExt InOctets/OutOctets")
	}
	if in > *ns.InOctets || out > *ns.OutOctets || in < *ns.InOctets-(1<<20) || out < *ns.OutOctets-(1<<20) {
		t.Errorf("InOctets %g OutOctets %g, procfs reads %g %g after", in, out, *ns.InOctets, *ns.OutOctets)
	}
}

func BenchmarkProcessCollector(b *testing.B) {
	for _, bc := range []struct {
		name string
		c    prometheus.Collector
	}{
		{"client_golang", collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})},
		{"ours", newProcessCollector()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(bc.c)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
