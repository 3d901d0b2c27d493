package client

import (
	"fmt"
	"slices"
	"strings"
)

// A Stage is a list endpoint of the pipeline beyond embedding, described as
// data: where it lists, what its items' statuses are, and which fields are
// read into which slot. The paging, retries, budgets, redaction and
// failure reasons of a listing serve every stage unchanged; adding a stage
// is one description (stages.go) and the simulator's data for it.
type Stage struct {
	// API names the stage: the collector's name (--collector.<API>), the
	// api label of its twelvelabs_up, and <stage> in its metric names.
	API API
	// Path is the list endpoint, relative to the base URL.
	Path string
	// Noun is what the list holds, in metric names:
	// twelvelabs_<API>_<Noun>.
	Noun string
	// Statuses are the documented statuses, exported zero-filled; none
	// when the items have no status (indexes).
	Statuses []string
	// Final are the statuses an item does not leave by itself.
	Final []string
	// StatusFilter says that GET ?status=s lists exactly the items of
	// status s: the listing's count of each status is then confirmed by
	// the API's own count of it.
	StatusFilter bool
	// Dimension is the label that breaks the counts down (analysis_mode,
	// index_name); "" for none. Its values are folded past a bound.
	Dimension string
	// KeyLabel names the label of the _id in the stage's _info metric,
	// for a stage whose _id others join on (index_id); "" for none.
	KeyLabel string
	// JoinNames says that the dimension's values are _ids of the items of
	// that stage, exported by their name (indexing tasks carry index_id;
	// the label is the index's name, never an _id).
	JoinNames API
	// Fields map the item's JSON fields to slots; a field present but
	// unreadable is counted in the malformed-fields counter by its Path.
	Fields []StageField
	// Media says that the items' durations are media submitted to the
	// plan's minutes (indexing, analysis); Tokens are the indices of the
	// sums that are tokens spent.
	Media  bool
	Tokens []int
	// Sums and Flags name the stage's sums and flags (by Index) in metric
	// names and help.
	Sums, Flags []StageSum

	tree *pathNode
}

// Slot is what a stage's field is read into.
type Slot uint8

// The slots of an item.
const (
	SlotID        Slot = iota // hashed, to count each item once
	SlotDimension             // the label value of Stage.Dimension
	SlotStatus
	SlotCreated
	SlotFinished // when the item reached a final status
	SlotExpires  // when the API deletes or expires the item
	SlotDuration // media seconds
	SlotKey      // the _id's text, kept for the stages that join on it
	SlotSum      // an integer summed per group, Sums[StageField.Index]
	SlotFlag     // a count of items whose value equals Match, Flagged[Index]
)

// MaxSums and MaxFlags bound the sums and flags of a stage.
const (
	MaxSums  = 3
	MaxFlags = 2
	// MaxStageFields bounds a stage's fields: each has a bit in
	// Task.Malformed.
	MaxStageFields = 16
)

// StageField is one field of a stage's items.
type StageField struct {
	// Path is the field's JSON path: names joined by dots, "[]" after a
	// name reading each element of an array ("webhooks[].delivered").
	Path string
	Slot Slot
	// Index is the sum's or flag's index.
	Index int
	// Match is the value that raises a flag: a string's content, or the
	// JSON literal true or false.
	Match string
}

// A StageSum names a sum or a flag: Suffix is appended to
// twelvelabs_<API>_<Noun>_, and Help says what is summed or counted.
type StageSum struct {
	Suffix, Help string
}

// StageOf returns the description of api, or nil for the Embed APIs.
func StageOf(api API) *Stage {
	for _, s := range Stages {
		if s.API == api {
			return s
		}
	}
	return nil
}

// Documented tells whether status is one the endpoint of api documents.
func (a API) Documented(status string) bool {
	if s := StageOf(a); s != nil {
		return slices.Contains(s.Statuses, status)
	}
	return slices.Contains(Statuses, status)
}

// KnownStatuses are the statuses of api exported for every group, zero or
// not.
func (a API) KnownStatuses() []string {
	if s := StageOf(a); s != nil {
		return s.Statuses
	}
	return Statuses
}

// FieldName is the name of field f of api's items, for the malformed
// fields counter.
func (a API) FieldName(f int) string {
	if s := StageOf(a); s != nil {
		if f < len(s.Fields) {
			return s.Fields[f].Path
		}
		return ""
	}
	if f < int(NumFields) {
		return FieldNames[f]
	}
	return ""
}

// FieldNamesOf lists the field names of api.
func (a API) FieldNamesOf() []string {
	if s := StageOf(a); s != nil {
		names := make([]string, len(s.Fields))
		for i, f := range s.Fields {
			names[i] = f.Path
		}
		return names
	}
	return FieldNames[:]
}

// pathNode is one level of a stage's field paths.
type pathNode struct {
	kids  map[string]*pathNode
	each  bool  // an array, whose elements are read by kids and fields
	field []int // the fields read from this value
}

// build checks the description and makes its path tree; a bad description
// is a programming error, found by the package's tests.
func (s *Stage) build() error {
	if len(s.Fields) > MaxStageFields {
		return fmt.Errorf("stage %s: %d fields, at most %d", s.API, len(s.Fields), MaxStageFields)
	}
	root := &pathNode{}
	for i, f := range s.Fields {
		n := root
		for _, part := range strings.Split(f.Path, ".") {
			name, each := strings.CutSuffix(part, "[]")
			if name == "" {
				return fmt.Errorf("stage %s: field %q has an empty name", s.API, f.Path)
			}
			if n.kids == nil {
				n.kids = map[string]*pathNode{}
			}
			k := n.kids[name]
			if k == nil {
				k = &pathNode{each: each}
				n.kids[name] = k
			}
			if k.each != each {
				return fmt.Errorf("stage %s: field %q reads %s both as an array and not", s.API, f.Path, name)
			}
			n = k
		}
		switch {
		case f.Slot == SlotSum && (f.Index < 0 || f.Index >= MaxSums),
			f.Slot == SlotFlag && (f.Index < 0 || f.Index >= MaxFlags):
			return fmt.Errorf("stage %s: field %q has index %d out of range", s.API, f.Path, f.Index)
		}
		n.field = append(n.field, i)
	}
	if !root.consistent() {
		return fmt.Errorf("stage %s: a field path is both a value and an object", s.API)
	}
	s.tree = root
	return nil
}

// consistent tells whether no node of the tree is read both as a value
// and as an object.
func (n *pathNode) consistent() bool {
	if len(n.field) > 0 && n.kids != nil {
		return false
	}
	for _, k := range n.kids {
		if !k.consistent() {
			return false
		}
	}
	return true
}

// HasSlot tells whether the stage reads any field into slot.
func (s *Stage) HasSlot(slot Slot) bool {
	return slices.ContainsFunc(s.Fields, func(f StageField) bool { return f.Slot == slot })
}

// IsFinal tells whether status is final for the stage.
func (s *Stage) IsFinal(status string) bool { return slices.Contains(s.Final, status) }
