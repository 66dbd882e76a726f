package app

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The transaction-id envelope. An upload that carries a transaction id
// starts with one header line and then the payload, unchanged:
//
//	bitsim-txn: <id>\n
//	<payload bytes>
//
// The id is 1–128 printable ASCII characters without spaces. The envelope
// is part of the uploaded data, so it survives every retry, restart and
// re-forward: an application that de-duplicates on it (Idempotent mode)
// applies each transaction once however often BITS delivers the file.
const TxnPrefix = "bitsim-txn: "

// MaxTxnLen is the longest transaction id the envelope carries.
const MaxTxnLen = 128

// ErrNoTxn is returned by Unwrap and ReadTxn for data without an envelope.
var ErrNoTxn = errors.New("app: no transaction-id envelope")

// ValidTxn reports whether id can be carried in the envelope.
func ValidTxn(id string) error {
	if id == "" || len(id) > MaxTxnLen {
		return fmt.Errorf("app: transaction id must be 1-%d characters", MaxTxnLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("app: transaction id %q: only printable ASCII without spaces", id)
		}
	}
	return nil
}

// EnvelopeHeader returns the header line for id.
func EnvelopeHeader(id string) ([]byte, error) {
	if err := ValidTxn(id); err != nil {
		return nil, err
	}
	return []byte(TxnPrefix + id + "\n"), nil
}

// Wrap returns the payload wrapped in an envelope carrying id.
func Wrap(id string, payload []byte) ([]byte, error) {
	h, err := EnvelopeHeader(id)
	if err != nil {
		return nil, err
	}
	return append(h, payload...), nil
}

// WrapReader returns a reader that yields the envelope header then r, and
// the number of bytes the header adds.
func WrapReader(id string, r io.Reader) (io.Reader, int64, error) {
	h, err := EnvelopeHeader(id)
	if err != nil {
		return nil, 0, err
	}
	return io.MultiReader(bytes.NewReader(h), r), int64(len(h)), nil
}

// Unwrap splits enveloped data into its transaction id and payload. Data
// without a well-formed envelope returns ErrNoTxn and the data unchanged.
func Unwrap(data []byte) (id string, payload []byte, err error) {
	if !bytes.HasPrefix(data, []byte(TxnPrefix)) {
		return "", data, ErrNoTxn
	}
	limit := min(len(data), len(TxnPrefix)+MaxTxnLen+1)
	nl := bytes.IndexByte(data[:limit], '\n')
	if nl < 0 {
		return "", data, ErrNoTxn
	}
	id = string(data[len(TxnPrefix):nl])
	if ValidTxn(id) != nil {
		return "", data, ErrNoTxn
	}
	return id, data[nl+1:], nil
}

// ReadTxn reads only the envelope line from r (at most a few hundred bytes)
// and returns the transaction id, or ErrNoTxn.
func ReadTxn(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(len(TxnPrefix)+MaxTxnLen+1)), 256)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if !strings.HasPrefix(line, TxnPrefix) || !strings.HasSuffix(line, "\n") {
		return "", ErrNoTxn
	}
	id := strings.TrimSuffix(line[len(TxnPrefix):], "\n")
	if ValidTxn(id) != nil {
		return "", ErrNoTxn
	}
	return id, nil
}
