// Command archivecheck checks one release archive built by GoReleaser
// (see .goreleaser.yaml and deploy/release-check.sh): it holds one
// directory, named as the archive, with the exporter's binary, LICENSE and
// README.md; LICENSE and README.md equal the repository's; and the binary
// is a static executable for the archive's OS and architecture, stamped
// with the version.
//
//	go run ./deploy/archivecheck ARCHIVE GOOS GOARCH VERSION
//
// It runs from the repository root and prints one line: what it found, or
// what is wrong (then it exits 1).
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const binary = "twelvelabs_exporter"

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: archivecheck ARCHIVE GOOS GOARCH VERSION")
		os.Exit(2)
	}
	archive, goos, goarch, version := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	summary, err := check(archive, goos, goarch, version)
	if err != nil {
		fmt.Fprintf(os.Stderr, "archivecheck: %s: %v\n", filepath.Base(archive), err)
		os.Exit(1)
	}
	fmt.Printf("archivecheck: %s: %s\n", filepath.Base(archive), summary)
}

func check(archive, goos, goarch, version string) (string, error) {
	files, err := readArchive(archive)
	if err != nil {
		return "", err
	}
	dir := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(archive), ".tar.gz"), ".zip")
	exe := binary
	if goos == "windows" {
		exe += ".exe"
	}
	want := []string{dir + "/" + exe, dir + "/LICENSE", dir + "/README.md"}
	var got []string
	for name := range files {
		got = append(got, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return "", fmt.Errorf("holds %q, want %q", got, want)
	}
	for _, doc := range []string{"LICENSE", "README.md"} {
		repo, err := os.ReadFile(doc)
		if err != nil {
			return "", err
		}
		if !bytes.Equal(files[dir+"/"+doc], repo) {
			return "", fmt.Errorf("its %s differs from the repository's", doc)
		}
	}
	bin := files[dir+"/"+exe]
	kind, err := platform(bin)
	if err != nil {
		return "", fmt.Errorf("%s: %w", exe, err)
	}
	if kind != goos+"/"+goarch {
		return "", fmt.Errorf("%s is a %s executable, want %s/%s", exe, kind, goos, goarch)
	}
	// -X github.com/prometheus/common/version.Version=… leaves the string
	// in the binary's data, stripped or not.
	if !bytes.Contains(bin, []byte(version)) {
		return "", fmt.Errorf("%s does not contain the version %s: ldflags not applied", exe, version)
	}
	return fmt.Sprintf("%s, LICENSE, README.md; %s executable (%.1f MiB), stamped %s",
		exe, kind, float64(len(bin))/(1<<20), version), nil
}

// readArchive returns the regular files of a .tar.gz or .zip by path.
func readArchive(name string) (map[string][]byte, error) {
	files := map[string][]byte{}
	switch {
	case strings.HasSuffix(name, ".tar.gz"):
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }() // read only
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return files, nil
			}
			if err != nil {
				return nil, err
			}
			if h.Typeflag != tar.TypeReg {
				continue
			}
			if files[h.Name], err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
	case strings.HasSuffix(name, ".zip"):
		zr, err := zip.OpenReader(name)
		if err != nil {
			return nil, err
		}
		defer func() { _ = zr.Close() }()
		for _, zf := range zr.File {
			if zf.FileInfo().IsDir() {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				return nil, err
			}
			files[zf.Name], err = io.ReadAll(rc)
			_ = rc.Close()
			if err != nil {
				return nil, err
			}
		}
		return files, nil
	}
	return nil, errors.New("neither .tar.gz nor .zip")
}

// platform reads the executable's header: ELF is linux, Mach-O darwin, PE
// windows. An ELF executable must also be static (no program interpreter),
// as CGO_ENABLED=0 builds it.
func platform(bin []byte) (string, error) {
	r := bytes.NewReader(bin)
	if f, err := elf.NewFile(r); err == nil {
		if f.Type != elf.ET_EXEC {
			return "", fmt.Errorf("ELF type %v, want an executable", f.Type)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				return "", errors.New("dynamically linked (has a program interpreter); want CGO_ENABLED=0")
			}
		}
		switch f.Machine {
		case elf.EM_X86_64:
			return "linux/amd64", nil
		case elf.EM_AARCH64:
			return "linux/arm64", nil
		}
		return "", fmt.Errorf("ELF machine %v", f.Machine)
	}
	if f, err := macho.NewFile(r); err == nil {
		if f.Type != macho.TypeExec {
			return "", fmt.Errorf("Mach-O type %v, want an executable", f.Type)
		}
		switch f.Cpu {
		case macho.CpuAmd64:
			return "darwin/amd64", nil
		case macho.CpuArm64:
			return "darwin/arm64", nil
		}
		return "", fmt.Errorf("Mach-O CPU %v", f.Cpu)
	}
	if f, err := pe.NewFile(r); err == nil {
		if f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
			return "", errors.New("PE file is not an executable image")
		}
		switch f.Machine {
		case pe.IMAGE_FILE_MACHINE_AMD64:
			return "windows/amd64", nil
		case pe.IMAGE_FILE_MACHINE_ARM64:
			return "windows/arm64", nil
		}
		return "", fmt.Errorf("PE machine %#x", f.Machine)
	}
	return "", errors.New("neither ELF, Mach-O nor PE")
}
