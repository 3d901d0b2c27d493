package simulator

import (
	"strings"
	"time"
)

// shapeItems applies a page kind's fault to a stage's answer, as the
// embedding lists' shaped pages do where the kind applies to any list:
// null lists, page_info missing or without totals or understated, labels
// a careless upstream writes, fields of odd types, timestamps in other
// forms, more items than the page holds, one huge string. The kinds that
// only make sense with a time window (outside-window) or a model
// (many-models) leave the answer as it is.
func shapeItems(resp map[string]any, kind FaultKind, limit int) {
	data, _ := resp["data"].([]map[string]any)
	info, _ := resp["page_info"].(wirePageInfo)
	switch kind {
	case FaultNullLists:
		resp["data"], resp["page_info"] = nil, nil
	case FaultNoPageInfo:
		delete(resp, "page_info")
	case FaultNoTotalPage:
		resp["page_info"] = map[string]int{"limit_per_page": info.LimitPerPage, "page": info.Page}
	case FaultUnderstatedTotal:
		resp["page_info"] = wirePageInfo{LimitPerPage: info.LimitPerPage, Page: info.Page, TotalPage: 1, TotalResults: 0}
	case FaultOddLabels:
		for _, it := range data {
			walk(it, func(key string, v any) any {
				s, ok := v.(string)
				if !ok || s == "" || (key != "status" && key != "analysis_mode" && key != "index_name") {
					return v
				}
				return " " + strings.ToUpper(s[:1]) + s[1:] + "\xff "
			})
		}
	case FaultOddFields:
		for _, it := range data {
			walk(it, func(key string, v any) any {
				switch v.(type) {
				case float64, int, int64:
					return map[string]any{"value": v} // a number where no object belongs
				}
				return v
			})
		}
	case FaultOddTimestamps:
		for _, it := range data {
			walk(it, func(key string, v any) any {
				s, ok := v.(string)
				if !ok || !strings.HasSuffix(key, "_at") {
					return v
				}
				if t, err := time.Parse(isoMillis, s); err == nil {
					return t.Format("2006-01-02 15:04:05-07:00")
				}
				return v
			})
		}
	case FaultOversizedPage:
		for len(data) <= limit {
			data = append(data, map[string]any{"_id": "extra", "status": "ready"})
		}
		resp["data"] = data
	case FaultHugeString:
		resp["data"] = append(data, map[string]any{"_id": "huge", "status": string(hugeModel())})
	}
}

// walk replaces each member of m (and of the objects and arrays in it) by
// what f returns for its key and value.
func walk(m map[string]any, f func(key string, v any) any) {
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			walk(x, f)
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					walk(em, f)
				}
			}
		default:
			m[k] = f(k, v)
		}
	}
}
