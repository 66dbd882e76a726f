package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/txn"
)

// FuzzDigest checks the app's streaming digest, which finds the
// transaction id in the first bytes only, against txn.Unwrap and sha256.
func FuzzDigest(f *testing.F) {
	f.Add([]byte(txn.Prefix + "t1\npayload"))                          // well-formed envelope
	f.Add([]byte("no envelope at all"))                                // plain data
	f.Add([]byte(txn.Prefix))                                          // prefix only
	f.Add([]byte(txn.Prefix + strings.Repeat("a", txn.MaxLen) + "\n")) // longest id, empty payload
	f.Add([]byte(txn.Prefix + strings.Repeat("a", txn.MaxLen+1) + "\n"))
	f.Add([]byte(txn.Prefix + "a\r\n")) // CR in id
	a := New(Config{})
	defer a.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		id, _, _ := txn.Unwrap(data)
		dg, err := a.digest(context.Background(), bytes.NewReader(data))
		sum := sha256.Sum256(data)
		if err != nil || dg.txn != id || dg.size != int64(len(data)) || dg.sha != hex.EncodeToString(sum[:]) {
			t.Fatalf("digest = %+v, %v; want txn %q size %d", dg, err, id, len(data))
		}
	})
}
