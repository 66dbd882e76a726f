package wire

import (
	"context"
	"io"
	"net/http"
)

// NewRequest builds a BITS_POST packet. sessionID is sent when non-empty.
// For an empty packet (body nil, n 0) it forces "Content-Length: 0" on the
// wire, which net/http otherwise omits for custom methods; for a Fragment
// the body must yield exactly n bytes and the caller sets Content-Range
// (SetExact(req.Header, HdrContentRange, r.String())).
func NewRequest(ctx context.Context, url string, p PacketType, sessionID string, body io.Reader, n int64) (*http.Request, error) {
	if body == nil || n == 0 {
		body = http.NoBody
		n = 0
	}
	req, err := http.NewRequestWithContext(ctx, Method, url, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = n
	if n == 0 {
		req.TransferEncoding = []string{"identity"}
	}
	SetExact(req.Header, HdrPacketType, p.String())
	if sessionID != "" {
		SetExact(req.Header, HdrSessionID, sessionID)
	}
	return req, nil
}
