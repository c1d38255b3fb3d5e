package ocitest

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// writeHtpasswd writes an htpasswd file holding one user, as Distribution's
// htpasswd access controller reads it (bcrypt only). The hash uses bcrypt's
// minimum cost: Distribution checks it on every request, and at the
// default cost that alone would add about a minute to a conformance run on
// two cores.
func writeHtpasswd(path, user, password string) error {
	if user == "" || strings.ContainsAny(user, ":\n") {
		return fmt.Errorf("htpasswd user %q: must be non-empty, without ':' or newline", user)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(user+":"+string(hash)+"\n"), 0o600)
}
