// Command generate renders the twelvelabs mixin into the repository:
// alerts/twelvelabs.rules.yml, dashboards/twelvelabs.json and the Helm
// chart's copies of them. `make mixin` runs it; the mixin's test checks
// that the checked-in files equal what it renders.
//
//	cd twelvelabs-mixin && go run ./cmd/generate -root ..
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	mixin "github.com/twelvelabs-community/twelvelabs_exporter/twelvelabs-mixin"
)

func main() {
	root := flag.String("root", "..", "the repository's root")
	flag.Parse()
	files, err := mixin.Render(mixin.Dir(), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(*root, name), files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "generate:", err)
			os.Exit(1)
		}
		fmt.Println("generate: wrote", name)
	}
}
