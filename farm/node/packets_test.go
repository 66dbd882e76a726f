package node

import (
	"github.com/bitsim/bitsim/knob"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/wire"
)

const create = "Create-Session"

var createOK = map[string]string{
	wire.HdrProtocol: wire.ProtocolGUID, wire.HdrSessionID: "*", wire.HdrAcceptEncoding: "identity",
	wire.HdrErrorCode: "", wire.HdrHostID: "",
}

func badRequest() map[string]string {
	return map[string]string{wire.HdrErrorCode: "0x80070057", wire.HdrErrorContext: "0x5", wire.HdrProtocol: ""}
}

// TestCommonValidation covers the §5.3 rows every packet shares and the
// Ping and Create-Session Acks (§4.1, §4.2, §5.2).
func TestCommonValidation(t *testing.T) {
	n, _ := startNode(t, Config{})
	x := newExchange(t, n)
	x.run(
		step{name: "ping", pkt: "Ping", status: 200, want: map[string]string{wire.HdrErrorCode: "", wire.HdrSessionID: ""},
			why: "§4.1: nothing beyond the common validation"},
		step{name: "ping unknown session", pkt: "Ping", sid: "{00000000-0000-4000-8000-000000000000}", status: 200,
			why: "§15: Ping never requires a session"},
		step{name: "ping lower case", pkt: "ping", status: 200, why: "§2.8: packet types are case-insensitive"},
		step{name: "no packet type", status: 400, want: badRequest(), why: "§2.7 unknown packet → 400"},
		step{name: "unknown packet type", pkt: "Bogus", status: 400, want: badRequest(), why: "§2.7"},
		step{name: "client sends Ack", pkt: "Ack", status: 400, want: badRequest(), why: "an Ack is not a request"},
		step{name: "missing Content-Length", pkt: "Ping", noCL: true, status: 400, want: badRequest(),
			why: "§2.5: Windows answers 400 (not [S]'s 411)"},
		step{name: "chunked", pkt: "Ping", chunked: true, body: "x", status: 400, want: badRequest(),
			why: "§17: chunked has no Content-Length"},
		step{name: "header over 4 KB", pkt: "Ping", hdr: map[string]string{"X-Long": strings.Repeat("a", 4097)}, status: 400,
			want: badRequest(), why: "§2.6"},
		step{name: "header of exactly 4 KB", pkt: "Ping", hdr: map[string]string{"X-Long": strings.Repeat("a", 4096)}, status: 200,
			why: "§2.6 limit is inclusive"},
		step{name: "create with body", pkt: create, body: "x", status: 400, want: badRequest(), why: "§4.2: body must be empty"},
		step{name: "create no common protocol", pkt: create, hdr: map[string]string{wire.HdrSupportedProtocols: "{00000000-0000-0000-0000-000000000000}"},
			status: 400, want: badRequest(), why: "§4.2 step 2"},
		step{name: "create protocol list", pkt: create, hdr: map[string]string{wire.HdrSupportedProtocols: "{00000000-0000-0000-0000-000000000000}, " + strings.ToUpper(wire.ProtocolGUID)},
			status: 200, want: createOK, why: "§3.1 list, case-insensitive GUID"},
		step{name: "create", pkt: create, status: 200, want: createOK, why: "§5.2 Create-Session Ack"},
		step{name: "fragment unknown session", pkt: "Fragment", sid: "{00000000-0000-4000-8000-000000000000}", rng: "bytes 0-0/1", body: "x",
			status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F", wire.HdrErrorContext: "0x5"}, why: "§6.3"},
		step{name: "fragment non-GUID session", pkt: "Fragment", sid: "../../etc", rng: "bytes 0-0/1", body: "x",
			status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F"}, why: "a non-GUID id is just unknown"},
		step{name: "fragment without session", pkt: "Fragment", rng: "bytes 0-0/1", body: "x",
			status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F"}, why: "§6.3"},
		step{name: "close unknown session", pkt: "Close-Session", sid: "{00000000-0000-4000-8000-000000000000}",
			status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F"}, why: "§4.4"},
		step{name: "cancel unknown session", pkt: "Cancel-Session", sid: "{00000000-0000-4000-8000-000000000000}",
			status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F"}, why: "§4.5/§6.3"},
		step{name: "GET outside replies", method: "GET", status: 404, why: "only reply files are served"},
		step{name: "PUT", method: "PUT", status: 405, why: "not a BITS verb"},
		step{name: "outside the vdir", path: "/other/file.bin", pkt: "Ping", status: 404, why: "only the vdir is served"},
	)
	if !strings.HasPrefix(x.sid, "{") || strings.ToUpper(x.sid) != x.sid {
		t.Errorf("session id %q is not an upper-case braced GUID", x.sid)
	}
	if _, ok := wire.CanonicalSessionID(x.sid); !ok {
		t.Errorf("session id %q is not a GUID", x.sid)
	}
}

// TestCreateSessionDestination covers the destination rows of §4.2/§5.3:
// directory → 400, hostile paths → 400, existing file → K3.
func TestCreateSessionDestination(t *testing.T) {
	for _, c := range []knob.Conflict{knob.Conflict409, knob.Conflict403} {
		k3 := c.Status()
		t.Run(http.StatusText(k3), func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
			os.WriteFile(filepath.Join(dir, "exists.bin"), []byte("old"), 0o644)
			os.WriteFile(filepath.Join(dir, "afile"), []byte("x"), 0o644)
			n, _ := startNode(t, Config{Dir: dir, ConflictStatus: c})
			x := newExchange(t, n)
			conflict := map[string]string{wire.HdrErrorCode: "0x80070005", wire.HdrErrorContext: "0x5", wire.HdrSessionID: ""}
			x.run(
				step{name: "existing destination", path: "exists.bin", pkt: create, status: k3, want: conflict, why: "K3"},
				step{name: "directory", path: "sub", pkt: create, status: 400, want: badRequest(), why: "§4.2"},
				step{name: "vdir root", path: "", pkt: create, status: 200, why: "default path file.bin"},
				step{name: "trailing slash", path: "sub/", pkt: create, status: 400, want: badRequest(), why: "directory"},
				step{name: "dot-dot", path: "sub/%2e%2e/%2e%2e/escape.bin", pkt: create, status: 400, want: badRequest(), why: "hostile path"},
				step{name: "encoded slash", path: "..%2fescape.bin", pkt: create, status: 400, want: badRequest(), why: "hostile path"},
				step{name: "backslash", path: `sub%5c..%5cx.bin`, pkt: create, status: 400, want: badRequest(), why: "hostile path"},
				step{name: "session store", path: "BITS-Sessions/Requests/x.bin", pkt: create, status: 400, want: badRequest(), why: "the session store is not a destination"},
				step{name: "parent is a file", path: "afile/x.bin", pkt: create, status: 400, want: badRequest(), why: "destination cannot exist"},
				step{name: "nested new dir", path: "new/dir/x.bin", pkt: create, status: 200, why: "parents are created at commit"},
			)
		})
	}
	t.Run("overwrite allowed", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "exists.bin"), []byte("old"), 0o644)
		n, _ := startNode(t, Config{Dir: dir, AllowOverwrites: true})
		x := newExchange(t, n)
		data := []byte("new content")
		x.run(step{path: "exists.bin", pkt: create, status: 200, want: createOK})
		x.run(frag(data, 0, int64(len(data)-1), 200, int64(len(data))))
		sameBytes(t, "overwritten destination", mustRead(t, filepath.Join(dir, "exists.bin")), data)
	})
}

// TestHostIDHeaders covers BITS-Host-Id and its fallback time-out (§3.1,
// §4.2 step 5).
func TestHostIDHeaders(t *testing.T) {
	cases := []struct {
		name     string
		fallback time.Duration
		want     string
	}{
		{"default one day", 0, "86400"},
		{"configured", 110 * time.Second, "110"},
		{"configured as zero", -1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, _ := startNode(t, Config{HostID: "127.0.0.2", HostIDFallbackTimeout: c.fallback})
			newExchange(t, n).run(step{pkt: create, status: 200,
				want: map[string]string{wire.HdrHostID: "127.0.0.2", wire.HdrHostIDFallbackTimeout: c.want}})
		})
	}
}

// TestUploadsDisabled covers 501 / 0x80070005 (§5.3, §9).
func TestUploadsDisabled(t *testing.T) {
	n, _ := startNode(t, Config{UploadsDisabled: true})
	want := map[string]string{wire.HdrErrorCode: "0x80070005", wire.HdrErrorContext: "0x5"}
	newExchange(t, n).run(
		step{pkt: "Ping", status: 501, want: want},
		step{pkt: create, status: 501, want: want},
	)
}

// TestCloseAndCancel covers §4.4, §4.5 and §8.3.
func TestCloseAndCancel(t *testing.T) {
	data := payload(1000)
	t.Run("close commits and deletes", func(t *testing.T) {
		n, h := startNode(t, Config{})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 999, 200, 1000))
		si, _ := n.Session(x.sid)
		x.run(step{pkt: "Close-Session", sid: "$", status: 200, want: map[string]string{wire.HdrErrorCode: ""}})
		sameBytes(t, "destination", mustRead(t, filepath.Join(n.cfg.Dir, "file.bin")), data)
		if exists(si.RequestFile) || exists(filepath.Dir(si.RequestFile)) {
			t.Error("session files survive Close-Session")
		}
		x.run(step{name: "close again", pkt: "Close-Session", sid: "$", status: 500,
			want: map[string]string{wire.HdrErrorCode: "0x8020001F"}})
		if countKind(h, "session.closed") != 1 || countKind(h, "file.committed") != 1 {
			t.Error("want one session.closed and one file.committed event")
		}
	})
	t.Run("early close discards", func(t *testing.T) {
		n, h := startNode(t, Config{})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 499, 200, 500),
			step{pkt: "Close-Session", sid: "$", status: 200, why: "§4.4 early close: partial discarded"})
		if exists(filepath.Join(n.cfg.Dir, "file.bin")) {
			t.Error("a partial upload was committed")
		}
		if len(n.Sessions()) != 0 || countKind(h, "file.committed") != 0 {
			t.Error("early close left state")
		}
	})
	t.Run("cancel deletes", func(t *testing.T) {
		n, _ := startNode(t, Config{})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 499, 200, 500))
		si, _ := n.Session(x.sid)
		gone := frag(data, 500, 999, 500, 0)
		gone.want = map[string]string{wire.HdrErrorCode: "0x8020001F", wire.HdrReceivedContentRange: ""}
		x.run(step{pkt: "Cancel-Session", sid: "$", status: 200}, gone)
		if exists(si.RequestFile) || len(n.Sessions()) != 0 {
			t.Error("cancel left the session behind")
		}
	})
	t.Run("vanished request file", func(t *testing.T) {
		n, _ := startNode(t, Config{Commit: CommitOnClose})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 999, 200, 1000))
		si, _ := n.Session(x.sid)
		os.Remove(si.RequestFile)
		x.run(step{pkt: "Close-Session", sid: "$", status: 404, why: "§4.4 upload file vanished"})
		if exists(filepath.Join(n.cfg.Dir, "file.bin")) {
			t.Error("committed a vanished file")
		}
	})
}
