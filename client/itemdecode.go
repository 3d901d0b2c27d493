package client

import (
	"errors"
	"hash/maphash"
	"math"

	"github.com/go-json-experiment/json/jsontext"
)

// item reads one item of a stage's list by the stage's path tree: the
// members it names are read into their slots, the rest skipped unbuilt.
// Like a task, an item whose field cannot be read still counts, with the
// field marked malformed; a null item is no item (errNull).
func (d *pageDecoder) item(t *task) error {
	return d.members("an item", func(name []byte) error {
		return d.node(t, d.stage.tree.kids[string(name)])
	})
}

// node reads the value at n of the tree: a value its fields read, an
// object whose members it descends into, or an array whose elements it
// reads each. A value of the wrong kind marks n's fields below malformed;
// null reads as absent.
func (d *pageDecoder) node(t *task, n *pathNode) error {
	switch {
	case n == nil:
		return d.dec.SkipValue()
	case n.each:
		return d.elements(t, n)
	case len(n.field) > 0:
		return d.value(t, n.field)
	}
	return d.object(t, n)
}

func (d *pageDecoder) object(t *task, n *pathNode) error {
	if k := d.dec.PeekKind(); k != jsontext.KindBeginObject && k != jsontext.KindNull {
		d.below(t, n)
		return d.dec.SkipValue()
	}
	err := d.members(d.stage.Path, func(name []byte) error {
		return d.node(t, n.kids[string(name)])
	})
	if errors.Is(err, errNull) {
		return nil
	}
	return err
}

// elements reads an array, each element as the node's value; an element
// that is an object is read by the node's kids.
func (d *pageDecoder) elements(t *task, n *pathNode) error {
	if err := d.begin(jsontext.KindBeginArray, "an array of an item"); err != nil {
		switch {
		case errors.Is(err, errNull):
			return nil
		case errors.Is(err, errMalformed):
			d.below(t, n)
			return d.dec.SkipValue()
		}
		return err
	}
	for d.dec.PeekKind() != jsontext.KindEndArray {
		var err error
		if len(n.field) > 0 {
			err = d.value(t, n.field)
		} else {
			err = d.object(t, n)
		}
		if err != nil {
			return err
		}
	}
	_, err := d.dec.ReadToken()
	return err
}

// below marks every field at or under n malformed.
func (d *pageDecoder) below(t *task, n *pathNode) {
	for _, f := range n.field {
		t.malformed(Field(f))
	}
	for _, k := range n.kids {
		d.below(t, k)
	}
}

// value reads a scalar into the slots of fields.
func (d *pageDecoder) value(t *task, fields []int) error {
	text, kind, ok, err := d.scalar()
	switch {
	case errors.Is(err, errWrongKind):
		for _, f := range fields {
			t.malformed(Field(f))
		}
		return nil
	case err != nil:
		return err
	case !ok: // null: absent
		return nil
	}
	for _, f := range fields {
		if !d.slot(t, &d.stage.Fields[f], text, kind) {
			t.malformed(Field(f))
		}
	}
	return nil
}

// slot reads one scalar into f's slot, and says whether it could.
func (d *pageDecoder) slot(t *task, f *StageField, text []byte, kind jsontext.Kind) bool {
	switch f.Slot {
	case SlotID:
		if kind != jsontext.KindString && kind != jsontext.KindNumber {
			return false
		}
		if len(text) > 0 && !t.HasID {
			t.IDHash, t.HasID = maphash.Bytes(d.seed, text), true
		}
	case SlotKey:
		if kind != jsontext.KindString && kind != jsontext.KindNumber {
			return false
		}
		t.Key = d.label(d.keys, text, labelValue)
	case SlotDimension:
		if kind != jsontext.KindString {
			return false
		}
		t.Model = d.label(d.models, text, labelValue)
	case SlotStatus:
		if kind != jsontext.KindString {
			return false
		}
		t.Status = d.label(d.statuses, text, statusValue)
	case SlotCreated, SlotFinished, SlotExpires:
		ts, ok := timestamp(text, kind)
		if !ok {
			return false
		}
		switch f.Slot {
		case SlotCreated:
			t.Created = ts
		case SlotFinished:
			t.Finished = ts
		default:
			t.Expires = ts
		}
	case SlotDuration:
		secs, ok := number(text, kind)
		if !ok {
			return false
		}
		t.VideoNanos = Nanos(secs)
	case SlotSum:
		v, ok := number(text, kind)
		if !ok || v < 0 || v >= maxExactSum {
			return false // not a count a float64 holds exactly
		}
		t.Sums[f.Index] = whole(v)
	case SlotFlag:
		var raw string
		switch kind {
		case jsontext.KindString:
			raw = unsafeString(text)
		case jsontext.KindTrue, jsontext.KindFalse:
			raw = string(text)
		default:
			return false
		}
		if raw == f.Match {
			t.Flags |= 1 << f.Index
		}
	}
	return true
}

// maxExactSum bounds a count (tokens, bytes, videos): past 2^53 a float64
// no longer holds every integer, and no real count comes near it.
const maxExactSum = 1 << 53

// whole rounds a count sent as a number (tokens, bytes) to an integer,
// saturating where an int64 ends.
func whole(v float64) int64 {
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(math.Round(v))
}
