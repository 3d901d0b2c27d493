package main

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// configSource is where --config.file's entries were read, so that every
// problem names its file, line and field as the file spells it.
type configSource struct {
	path  string
	lines map[string]int // "accounts[1]", "accounts[1].key_file" -> line
}

// at is "file:line: " for the entry or field at yamlPath, or "file: "
// when it is not in the file (a field left out).
func (s configSource) at(yamlPath string) string {
	if line, ok := s.lines[yamlPath]; ok {
		return s.path + ":" + strconv.Itoa(line) + ": "
	}
	return s.path + ": "
}

// yamlLine is how yaml names the line of a syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// decodeConfig parses raw strictly and reports every problem of shape,
// not the first: each field it does not know (with the nearest it does),
// each value of the wrong kind (in words, not Go's type names), each with
// its line. fc is nil when there are problems.
func decodeConfig(path string, raw []byte) (fc *fileConfig, problems []string) {
	src := configSource{path: path, lines: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		// yaml quotes what it cannot read, a URL's password with it.
		msg := client.RedactURLs(strings.ReplaceAll(err.Error(), "\n", "; "))
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return nil, []string{path + ":" + m[1] + ": " + msg[len(m[0]):]}
		}
		return nil, []string{path + ": " + strings.TrimPrefix(msg, "yaml: ")}
	}
	fc = &fileConfig{src: src}
	if len(doc.Content) == 0 {
		return fc, nil // an empty file: no accounts, which problems says
	}
	w := walker{src: src}
	w.walk(doc.Content[0], reflect.TypeFor[fileConfig](), "")
	if len(w.problems) > 0 {
		return nil, w.problems
	}
	if err := doc.Content[0].Decode(fc); err != nil {
		// The walk checked every field's kind; this is a shape it missed.
		return nil, []string{path + ": " + client.RedactURLs(strings.ReplaceAll(err.Error(), "\n", "; "))}
	}
	return fc, nil
}

type walker struct {
	src      configSource
	problems []string
}

func (w *walker) add(line int, yamlPath, format string, a ...any) {
	where := w.src.path + ":" + strconv.Itoa(line) + ": "
	if yamlPath != "" {
		where += yamlPath + ": "
	}
	w.problems = append(w.problems, client.RedactURLs(where+fmt.Sprintf(format, a...)))
}

// walk checks node against t, recording where each entry and field is.
func (w *walker) walk(node *yaml.Node, t reflect.Type, yamlPath string) {
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Tag == "!!null" {
		return // left out
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct:
		if node.Kind != yaml.MappingNode {
			w.add(node.Line, yamlPath, "want fields (name: value), got %s", describeNode(node))
			return
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
				fields[name] = f
				names = append(names, name)
			}
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			sub := joinPath(yamlPath, k.Value)
			f, ok := fields[k.Value]
			switch {
			case !ok:
				w.add(k.Line, yamlPath, "unknown field %q%s", k.Value, suggest(k.Value, names))
				continue
			case seen[k.Value] > 0:
				w.add(k.Line, yamlPath, "%s given twice (first on line %d)", k.Value, seen[k.Value])
				continue
			}
			seen[k.Value] = k.Line
			w.src.lines[sub] = k.Line
			w.walk(v, f.Type, sub)
		}
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		if node.Kind != yaml.MappingNode {
			w.add(node.Line, yamlPath, "want names each with %s, got %s", describeType(t.Elem()), describeNode(node))
			return
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if first := seen[k.Value]; first > 0 {
				w.add(k.Line, yamlPath, "%s given twice (first on line %d)", k.Value, first)
				continue
			}
			seen[k.Value] = k.Line
			sub := joinPath(yamlPath, k.Value)
			w.src.lines[sub] = k.Line
			w.walk(v, t.Elem(), sub)
		}
	case t.Kind() == reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			w.add(node.Line, yamlPath, "want a list, got %s", describeNode(node))
			return
		}
		for i, item := range node.Content {
			sub := yamlPath + "[" + strconv.Itoa(i) + "]"
			w.src.lines[sub] = item.Line
			w.walk(item, t.Elem(), sub)
		}
	default:
		if node.Kind != yaml.ScalarNode {
			w.add(node.Line, yamlPath, "want %s, got %s", describeType(t), describeNode(node))
			return
		}
		if err := node.Decode(reflect.New(t).Interface()); err != nil {
			w.add(node.Line, yamlPath, "want %s, got %q", describeType(t), node.Value)
		}
	}
}

func joinPath(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}

// describeType says in words what a field takes.
func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 30s, 5m or 1h"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	}
	return t.Kind().String()
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "fields (name: value)"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// suggest names the known field nearest to an unknown one, when one is
// near enough to be a typo, and where the key goes when it is the key.
func suggest(name string, known []string) string {
	if name == "key" || name == "api_key" || name == "apikey" {
		return " (the key never goes in the file: use key_file or key_env)"
	}
	best, bestD := "", 3 // at most two edits away
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return "; known fields: " + strings.Join(known, ", ")
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance of a and b, in bytes (field
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
