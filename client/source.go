package client

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bitsim/bitsim/txn"
	"github.com/bitsim/bitsim/wire"
)

// EnvelopeReaderAt returns the upload bytes of a --txn job: the app's
// transaction-id envelope header followed by the size bytes of r (the same
// bytes txn.WrapReader yields), as a reader that supports ReadAt at any
// offset, so a resumed or restarted job reads exactly the range it needs.
func EnvelopeReaderAt(id string, r io.ReaderAt, size int64) (*io.SectionReader, error) {
	h, err := txn.Header(id)
	if err != nil {
		return nil, err
	}
	c := &concatReaderAt{head: h, tail: r, tailSize: size}
	return io.NewSectionReader(c, 0, int64(len(h))+size), nil
}

// concatReaderAt is head followed by the first tailSize bytes of tail.
type concatReaderAt struct {
	head     []byte
	tail     io.ReaderAt
	tailSize int64
}

func (c *concatReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("client: negative offset")
	}
	n := 0
	if off < int64(len(c.head)) {
		n = copy(p, c.head[off:])
		if n == len(p) {
			return n, nil
		}
	}
	toff := off + int64(n) - int64(len(c.head))
	if toff >= c.tailSize {
		return n, io.EOF
	}
	q := p[n:]
	if rem := c.tailSize - toff; int64(len(q)) > rem {
		q = q[:rem]
	}
	m, err := c.tail.ReadAt(q, toff)
	n += m
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// source is the job's upload data: the local file, opened for the duration
// of Run and read by offset, optionally behind a txn envelope. It detects
// local changes (BG_E_LOCAL_FILE_CHANGED): before every Fragment the path is
// stat'ed again and must still name the same file with the size and
// modification time recorded by NewJob.
type source struct {
	path   string
	size   int64 // file size at NewJob
	mtime  time.Time
	txn    string
	f      *os.File
	fi     os.FileInfo
	data   io.ReaderAt // f, or the envelope around f
	length int64       // upload size (envelope included)
}

func statSource(path, txnID string) (*source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("client: %s is not a regular file", path)
	}
	s := &source{path: path, size: fi.Size(), mtime: fi.ModTime(), txn: txnID, length: fi.Size()}
	if txnID != "" {
		h, err := txn.Header(txnID)
		if err != nil {
			return nil, err
		}
		s.length += int64(len(h))
	}
	return s, nil
}

// open opens the file for a Run and checks it has not changed since NewJob.
func (s *source) open() error {
	f, err := os.Open(s.path)
	if err != nil {
		return localError(wire.BGELocalFileChanged, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return localError(wire.BGELocalFileChanged, err)
	}
	s.f, s.fi, s.data = f, fi, f
	if s.txn != "" {
		sr, err := EnvelopeReaderAt(s.txn, f, s.size)
		if err != nil {
			f.Close()
			return err
		}
		s.data = sr
	}
	if err := s.check(); err != nil {
		s.close()
		return err
	}
	return nil
}

func (s *source) close() {
	if s.f != nil {
		s.f.Close()
		s.f, s.data = nil, nil
	}
}

// check reports BG_E_LOCAL_FILE_CHANGED if the path no longer names the
// open file, or its size or modification time differ from NewJob's.
func (s *source) check() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return localError(wire.BGELocalFileChanged, err)
	}
	switch {
	case !os.SameFile(fi, s.fi):
		return localError(wire.BGELocalFileChanged, fmt.Errorf("%s was replaced", s.path))
	case fi.Size() != s.size:
		return localError(wire.BGELocalFileChanged, fmt.Errorf("%s: size changed from %d to %d", s.path, s.size, fi.Size()))
	case !fi.ModTime().Equal(s.mtime):
		return localError(wire.BGELocalFileChanged, fmt.Errorf("%s: modified at %s", s.path, fi.ModTime().Format(time.RFC3339Nano)))
	}
	return nil
}
