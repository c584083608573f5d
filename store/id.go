package store

import "crypto/rand"

// idAlphabet is the set of characters in a request id after the "r".
const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// idLength is the number of random characters in a request id. With 36
// symbols, 10 characters give about 3.7e15 ids.
const idLength = 10

// NewID returns a new random request id: "r" and 10 lower-case letters or
// digits from crypto/rand, for example "rk7m2x9q4a1".
func NewID() string {
	id := make([]byte, 0, 1+idLength)
	id = append(id, 'r')

	// Bytes of 252 and more are skipped, because 252 is the largest multiple
	// of 36 below 256, so every symbol stays equally likely.
	var buf [2 * idLength]byte
	for len(id) < cap(id) {
		// crypto/rand.Read never returns an error since Go 1.24.
		_, _ = rand.Read(buf[:])
		for _, b := range buf {
			if b >= 252 || len(id) == cap(id) {
				continue
			}
			id = append(id, idAlphabet[int(b)%len(idAlphabet)])
		}
	}
	return string(id)
}
