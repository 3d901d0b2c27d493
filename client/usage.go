package client

import "time"

// The windows usage is summed over: TwelveLabs plans limit tokens per
// minute, media minutes per hour, and both per day.
const (
	UsageMinute = iota
	UsageHour
	UsageDay
	NumUsageWindows
)

// UsageWindows are the windows' lengths, and UsageWindowNames their label
// values, by index.
var (
	UsageWindows     = [NumUsageWindows]time.Duration{time.Minute, time.Hour, 24 * time.Hour}
	UsageWindowNames = [NumUsageWindows]string{"1m", "1h", "24h"}
)

// Usage is what a group's items used of a plan's limits in each window
// before a listing's Query.UsageAt: the media submitted (items created in
// the window) and the tokens spent (items finished in the window).
type Usage struct {
	MediaNanos [NumUsageWindows]int64
	Tokens     [NumUsageWindows]int64
}

// addMedia counts media of an item created at created, as of at.
func (u *Usage) addMedia(created, at time.Time, nanos int64) {
	if created.IsZero() || at.IsZero() || nanos == 0 {
		return
	}
	for i, w := range UsageWindows {
		if !created.Before(at.Add(-w)) && !created.After(at) {
			u.MediaNanos[i] = addSaturating(u.MediaNanos[i], nanos)
		}
	}
}

// addTokens counts tokens of an item finished at finished, as of at.
func (u *Usage) addTokens(finished, at time.Time, n int64) {
	if finished.IsZero() || at.IsZero() || n == 0 {
		return
	}
	for i, w := range UsageWindows {
		if !finished.Before(at.Add(-w)) && !finished.After(at) {
			u.Tokens[i] = addSaturating(u.Tokens[i], n)
		}
	}
}

func (u *Usage) merge(o *Usage) {
	for i := range NumUsageWindows {
		u.MediaNanos[i] = addSaturating(u.MediaNanos[i], o.MediaNanos[i])
		u.Tokens[i] = addSaturating(u.Tokens[i], o.Tokens[i])
	}
}

// AddTask counts an embedding task's media (video and audio) into u, as
// of at: for callers that aggregate tasks they keep themselves.
func (u *Usage) AddTask(created, at time.Time, video, audio int64) {
	u.addMedia(created, at, addSaturating(video, audio))
}

// MediaUsage tells whether api's items count as media submitted to the
// plan (embedding, indexing, analysis); an index's total_duration does
// not, it is what the index holds.
func (a API) MediaUsage() bool {
	if s := StageOf(a); s != nil {
		return s.Media
	}
	return true
}

// TokenUsage tells whether api's items spend tokens.
func (a API) TokenUsage() bool {
	s := StageOf(a)
	return s != nil && len(s.Tokens) > 0
}

// usage counts t into g's usage, as of at.
func (g *Group) usage(a API, t *task, at time.Time) {
	if at.IsZero() {
		return
	}
	s := StageOf(a)
	if s == nil || s.Media {
		g.Usage.addMedia(t.Created, at, addSaturating(t.VideoNanos, t.AudioNanos))
	}
	if s == nil {
		return
	}
	finished := t.Finished
	if finished.IsZero() {
		finished = t.Created
	}
	for _, i := range s.Tokens {
		g.Usage.addTokens(finished, at, t.Sums[i])
	}
}
