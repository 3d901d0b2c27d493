package client

import (
	"errors"
	"fmt"
	"io"
)

// maxTokenBytes bounds one JSON token (a string, a number): the tokenizer
// holds a whole token in its buffer, so a 16 MiB model name would cost
// 16 MiB or more per page in flight. Real tokens are URLs of a few hundred
// bytes.
const maxTokenBytes = 1 << 20

// errTokenTooLarge: a string or number longer than maxTokenBytes.
var errTokenTooLarge = errors.New("a JSON value is too long")

// tokenGuard passes a body through while it watches the length of each run
// of bytes between structural characters outside strings, which bounds any
// one token; past maxTokenBytes it fails the read before the tokenizer
// buffers more. It costs a pass over each byte, a few ns per KiB.
type tokenGuard struct {
	r        io.Reader
	inString bool
	escaped  bool
	run      int
}

func (g *tokenGuard) reset(r io.Reader) { *g = tokenGuard{r: r} }

func (g *tokenGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for i, c := range p[:n] {
		switch {
		case g.escaped:
			g.escaped = false
		case g.inString && c == '\\':
			g.escaped = true
		case c == '"':
			g.inString = !g.inString
			if !g.inString {
				g.run = 0
				continue
			}
		case !g.inString && (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':'):
			g.run = 0
			continue
		}
		if g.run++; g.run > maxTokenBytes {
			return i, fmt.Errorf("%w (over %d bytes)", errTokenTooLarge, maxTokenBytes)
		}
	}
	return n, err
}
