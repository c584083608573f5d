package provision

import (
	"crypto/rand"
	"math/big"
)

// NewPassword returns a random 20-character password with lower-case and
// upper-case letters, digits and symbols, drawn from crypto/rand.
func NewPassword() string {
	const (
		lower   = "abcdefghijkmnopqrstuvwxyz"
		upper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		digits  = "23456789"
		symbols = "!#%+-=?@^_"
	)
	sets := []string{lower, upper, digits, symbols}
	all := lower + upper + digits + symbols
	out := make([]byte, 20)
	for i := range out {
		set := all
		if i < len(sets) {
			set = sets[i]
		}
		out[i] = set[randomIndex(len(set))]
	}
	// Shuffle so the guaranteed characters are not always first.
	for i := len(out) - 1; i > 0; i-- {
		j := randomIndex(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func randomIndex(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return int(v.Int64())
}
