package txn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Prefix starts the envelope's header line.
const Prefix = "bitsim-txn: "

// MaxLen is the longest transaction id the envelope carries.
const MaxLen = 128

// ErrNoEnvelope is returned by Unwrap and ReadID for data without an envelope.
var ErrNoEnvelope = errors.New("txn: no transaction-id envelope")

// Valid reports whether id can be carried in the envelope.
func Valid(id string) error {
	if id == "" || len(id) > MaxLen {
		return fmt.Errorf("txn: transaction id must be 1-%d characters", MaxLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("txn: transaction id %q: only printable ASCII without spaces", id)
		}
	}
	return nil
}

// Header returns the header line for id.
func Header(id string) ([]byte, error) {
	if err := Valid(id); err != nil {
		return nil, err
	}
	return []byte(Prefix + id + "\n"), nil
}

// Wrap returns the payload wrapped in an envelope carrying id.
func Wrap(id string, payload []byte) ([]byte, error) {
	h, err := Header(id)
	if err != nil {
		return nil, err
	}
	return append(h, payload...), nil
}

// WrapReader returns a reader that yields the envelope header then r, and
// the number of bytes the header adds.
func WrapReader(id string, r io.Reader) (io.Reader, int64, error) {
	h, err := Header(id)
	if err != nil {
		return nil, 0, err
	}
	return io.MultiReader(bytes.NewReader(h), r), int64(len(h)), nil
}

// Unwrap splits enveloped data into its transaction id and payload. Data
// without a well-formed envelope returns ErrNoEnvelope and the data unchanged.
func Unwrap(data []byte) (id string, payload []byte, err error) {
	if !bytes.HasPrefix(data, []byte(Prefix)) {
		return "", data, ErrNoEnvelope
	}
	limit := min(len(data), len(Prefix)+MaxLen+1)
	nl := bytes.IndexByte(data[:limit], '\n')
	if nl < 0 {
		return "", data, ErrNoEnvelope
	}
	id = string(data[len(Prefix):nl])
	if Valid(id) != nil {
		return "", data, ErrNoEnvelope
	}
	return id, data[nl+1:], nil
}

// ReadID reads only the envelope line from r (at most a few hundred bytes)
// and returns the transaction id, or ErrNoEnvelope.
func ReadID(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(len(Prefix)+MaxLen+1)), 256)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if !strings.HasPrefix(line, Prefix) || !strings.HasSuffix(line, "\n") {
		return "", ErrNoEnvelope
	}
	id := strings.TrimSuffix(line[len(Prefix):], "\n")
	if Valid(id) != nil {
		return "", ErrNoEnvelope
	}
	return id, nil
}
