package collector

import (
	"cmp"
	"slices"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Other stands in for the label values past a bound: the model names past
// Options.MaxModels, and the unknown statuses past maxUnknownStatuses.
const Other = "other"

// maxUnknownStatuses bounds the statuses outside knownStatuses an API may
// export; the API documents three.
const maxUnknownStatuses = 10

// admitted holds the label values an API may export: the first ones seen,
// up to a limit, kept across listings so that series do not come and go as
// the mix of values changes.
type admitted struct {
	limit  int
	values map[string]struct{}
	warned bool // the fold has been logged
}

func newAdmitted(limit int) *admitted {
	return &admitted{limit: limit, values: map[string]struct{}{}}
}

// admit tells whether v may be exported, admitting it while there is room.
func (a *admitted) admit(v string) bool {
	if _, ok := a.values[v]; ok {
		return true
	}
	if len(a.values) >= a.limit {
		return false
	}
	a.values[v] = struct{}{}
	return true
}

// folding is the outcome of bounding one listing's label values.
type folding struct {
	models, statuses int // distinct values folded into Other
}

// fold returns l with its groups' model names and unknown statuses bounded:
// values not admitted are merged into Other, so that a flood of distinct
// names costs a fixed number of series, not one per name.
func fold(l *client.Listing, models, statuses *admitted, known []string) (*client.Listing, folding) {
	var f folding
	var foldedModels, foldedStatuses []string
	keys := make([]client.GroupKey, 0, len(l.Groups))
	for k := range l.Groups {
		keys = append(keys, k)
	}
	// Admit in a stable order, so that which values stay does not depend
	// on map order.
	slices.SortFunc(keys, func(a, b client.GroupKey) int {
		if c := l.Groups[b].Tasks - l.Groups[a].Tasks; c != 0 {
			return c // busiest first
		}
		if a.Model != b.Model {
			return cmp.Compare(a.Model, b.Model)
		}
		return cmp.Compare(a.Status, b.Status)
	})
	out := *l
	out.Groups = make(map[client.GroupKey]*client.Group, len(l.Groups))
	for _, k := range keys {
		g := l.Groups[k]
		nk := k
		if !models.admit(k.Model) {
			nk.Model = Other
			if !slices.Contains(foldedModels, k.Model) {
				foldedModels = append(foldedModels, k.Model)
			}
		}
		if k.Status != "" && !slices.Contains(known, k.Status) && !statuses.admit(k.Status) {
			nk.Status = Other
			if !slices.Contains(foldedStatuses, k.Status) {
				foldedStatuses = append(foldedStatuses, k.Status)
			}
		}
		merged := out.Groups[nk]
		if merged == nil {
			merged = &client.Group{}
			out.Groups[nk] = merged
		}
		merged.Merge(g)
	}
	f.models, f.statuses = len(foldedModels), len(foldedStatuses)
	return &out, f
}
