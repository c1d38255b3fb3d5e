package bench

import (
	"io"
	"math/rand/v2"
)

// gen yields n deterministic pseudo-random bytes (incompressible, unique
// per seed) without holding them in memory.
type gen struct {
	r *rand.ChaCha8
	n int64
}

func newGen(seed uint64, n int64) *gen {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return &gen{r: rand.NewChaCha8(s), n: n}
}

func (g *gen) Read(p []byte) (int, error) {
	if g.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.n {
		p = p[:g.n]
	}
	n, _ := g.r.Read(p)
	g.n -= int64(n)
	return n, nil
}
