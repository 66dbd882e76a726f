package client

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
	"github.com/google/go-cmp/cmp"
)

func TestResolveReplyURL(t *testing.T) {
	base, _ := url.Parse("http://upload.farm.test/inbox/report.dat?x=1")
	cases := []struct{ reply, want string }{
		// §13: IIS's relative path with backslashes, braces percent-encoded.
		{`BITS-Sessions\Replies\{3E1D5A70-0C2B-4D8E-9F61-7A2B44C0D9E1}\responsefile.bin`,
			"http://upload.farm.test/inbox/BITS-Sessions/Replies/%7B3E1D5A70-0C2B-4D8E-9F61-7A2B44C0D9E1%7D/responsefile.bin"},
		{"/abs/path/r.bin", "http://upload.farm.test/abs/path/r.bin"},
		{"http://other:8080/r?a=b", "http://other:8080/r?a=b"},
		{"  r.bin ", "http://upload.farm.test/inbox/r.bin"},
	}
	for _, tc := range cases {
		u, err := ResolveReplyURL(base, tc.reply)
		if err != nil || u.String() != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.reply, u, err, tc.want)
		}
	}
	for _, bad := range []string{"", "ftp://x/y", "http://[::1"} {
		if _, err := ResolveReplyURL(base, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHostURL(t *testing.T) {
	origin, _ := url.Parse("http://upload.farm.test:8080/upload/a.bin")
	noPort, _ := url.Parse("http://upload.farm.test/upload/a.bin")
	cases := []struct {
		origin *url.URL
		id     string
		want   string
	}{
		{origin, "node2.farm.test", "node2.farm.test:8080"}, // §12.4 item 5: keep the port
		{origin, "127.0.0.2", "127.0.0.2:8080"},
		{origin, "NODE2", "NODE2:8080"},
		{origin, "::1", "[::1]:8080"},
		{origin, "[fe80::1]", "[fe80::1]:8080"},
		{origin, "127.0.0.2:9000", "127.0.0.2:9000"}, // harness extension host:port
		{origin, "[::1]:9000", "[::1]:9000"},
		{noPort, "node2", "node2"},
		{noPort, "::1", "[::1]"},
	}
	for _, tc := range cases {
		u, err := hostURL(tc.origin, tc.id)
		if err != nil || u.Host != tc.want || u.Path != "/upload/a.bin" {
			t.Errorf("%q: %v %v, want host %s", tc.id, u, err, tc.want)
		}
	}
	for _, bad := range []string{"", "a/b", "h:p", "h:", "user@h", "a b", strings.Repeat("x", 301), "[::1", "h:1:"} {
		if u, err := hostURL(origin, bad); err == nil {
			t.Errorf("%q accepted: %v", bad, u)
		}
	}
}

func TestEnvelopeReaderAt(t *testing.T) {
	payload := []byte("0123456789abcdefghij")
	sr, err := EnvelopeReaderAt("txn-42", bytes.NewReader(payload), int64(len(payload)))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := wrapAll("txn-42", payload)
	if sr.Size() != int64(len(want)) {
		t.Fatalf("size %d, want %d", sr.Size(), len(want))
	}
	for off := 0; off <= len(want); off++ {
		for n := 0; off+n <= len(want)+2; n++ {
			buf := make([]byte, n)
			got, err := sr.ReadAt(buf, int64(off))
			end := min(off+n, len(want))
			if got != end-off || !bytes.Equal(buf[:got], want[off:end]) {
				t.Fatalf("ReadAt(%d, %d) = %d %q, want %q", n, off, got, buf[:got], want[off:end])
			}
			if off+n > len(want) && err != io.EOF {
				t.Fatalf("ReadAt(%d, %d): err %v, want EOF", n, off, err)
			}
		}
	}
	if _, err := EnvelopeReaderAt("bad id", bytes.NewReader(nil), 0); err == nil {
		t.Error("bad txn accepted")
	}
}

func wrapAll(txn string, payload []byte) ([]byte, error) {
	r, _, err := wrapReader(txn, payload)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// A --txn job uploads envelope + file.
func TestTxnEnvelopeUpload(t *testing.T) {
	f := newFake(t)
	path, data := testFile(t, 9000)
	res, _ := run(t, Options{FragmentSize: 5120}, JobSpec{LocalFile: path, RemoteURL: f.url("x"), Txn: "T-1"})
	want, _ := wrapAll("T-1", data)
	if res.State != Acknowledged || res.BytesTotal != int64(len(want)) || !bytes.Equal(f.data(1), want) {
		t.Fatalf("%+v", res)
	}
}

// Upload-reply: the reply is fetched with ranged GETs from the resolved
// BITS-Reply-URL before Close-Session, and a cut reply download resumes
// where it stopped.
func TestUploadReplyResume(t *testing.T) {
	f := newFake(t)
	f.reply = bytes.Repeat([]byte("reply-data-"), 20_000) // 220 000 bytes
	cut := true
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "GET" && cut {
			cut = false
			w.Header().Set("Content-Length", itoa(int64(len(f.reply))))
			w.WriteHeader(200)
			w.Write(f.reply[:100_000])
			w.(http.Flusher).Flush()
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
			return true
		}
		return false
	}
	path, _ := testFile(t, 9000)
	replyFile := path + ".out"
	res, h := run(t, Options{Clock: virtualClock(t)}, JobSpec{Type: UploadReply, LocalFile: path, RemoteURL: f.url("inbox/report.dat"), ReplyFile: replyFile})
	if res.State != Acknowledged || res.ReplySize != int64(len(f.reply)) || res.Retries != 1 {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	got, _ := os.ReadFile(replyFile)
	if !bytes.Equal(got, f.reply) {
		t.Fatal("reply file differs")
	}
	var seq []string
	for _, r := range f.requests() {
		s := r.Packet
		if r.Method == "GET" {
			s += " " + r.Path + " " + r.Header.Get("Range")
		}
		seq = append(seq, s)
	}
	rp := "/upload/inbox/BITS-Sessions/Replies/{00000001-0000-4000-8000-000000000001}/responsefile.bin"
	want := []string{"Create-Session", "Fragment", "GET " + rp + " bytes=0-", "Ping", "GET " + rp + " bytes=100000-", "Close-Session"}
	if d := cmp.Diff(want, seq); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if n := len(h.OfKind(sim.ClientReply)); n != 1 {
		t.Errorf("%d reply events", n)
	}
}

// K7: a final Ack without BITS-Reply-URL is an empty reply by default, a
// fatal error in strict mode.
func TestMissingReplyURL(t *testing.T) {
	for _, tc := range []struct {
		knob MissingReply
		want JobState
	}{{MissingReplyEmpty, Acknowledged}, {MissingReplyError, Error}} {
		t.Run(tc.knob.String(), func(t *testing.T) {
			f := newFake(t) // f.reply nil: no reply URL
			path, _ := testFile(t, 9000)
			os.WriteFile(path+".reply", []byte("stale"), 0o644)
			res, _ := run(t, Options{MissingReply: tc.knob}, JobSpec{Type: UploadReply, LocalFile: path, RemoteURL: f.url("x")})
			if res.State != tc.want {
				t.Fatalf("%+v", res)
			}
			if tc.want == Acknowledged {
				if b, err := os.ReadFile(path + ".reply"); err != nil || len(b) != 0 || res.ReplySize != 0 {
					t.Errorf("reply file %q %v", b, err)
				}
				return
			}
			var je *JobError
			if !errors.As(res.Err, &je) || je.Code != wire.WinHTTPInvalidServerResponse {
				t.Error(res.Err)
			}
			if p := f.packets(); p[len(p)-1] == "Close-Session" {
				t.Error("closed the session")
			}
		})
	}
}

// K6: a relative reply URL goes to the original host by default, to the
// host-id server with ReplyFromHostID.
func TestReplyHost(t *testing.T) {
	for _, knob := range []ReplyHost{ReplyFromOrigin, ReplyFromHostID} {
		t.Run(knob.String(), func(t *testing.T) {
			node := newFake(t)
			node.reply = []byte("reply from the node")
			shared := newFake(t)
			shared.reply = []byte("reply from the shared address")
			nodeHost := strings.TrimPrefix(node.srv.URL, "http://")
			// The shared address creates the session on "the node" (the
			// harness host:port extension) and forwards nothing else.
			shared.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
				if c.Packet == "Create-Session" {
					rawAck(w, 200, "BITS-Packet-Type", "Ack", "BITS-Session-Id", "{00000001-0000-4000-8000-000000000001}", "BITS-Host-Id", nodeHost)
					node.mu.Lock()
					node.created++
					node.sess["{00000001-0000-4000-8000-000000000001}"] = &fakeSession{}
					node.mu.Unlock()
					return true
				}
				return false
			}
			path, _ := testFile(t, 9000)
			res, h := run(t, Options{ReplyHost: knob}, JobSpec{Type: UploadReply, LocalFile: path, RemoteURL: shared.url("x")})
			if res.State != Acknowledged {
				dumpEvents(t, h)
				t.Fatal(res.Err)
			}
			got, _ := os.ReadFile(path + ".reply")
			want := map[ReplyHost]string{ReplyFromOrigin: "reply from the shared address", ReplyFromHostID: "reply from the node"}[knob]
			if string(got) != want {
				t.Errorf("reply %q, want %q", got, want)
			}
			if d := cmp.Diff([]string{"Create-Session"}, packetsNoGET(shared)); d != "" {
				t.Errorf("shared address saw (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]string{"Ping", "Fragment 0-8999/9000", "Close-Session"}, packetsNoGET(node)); d != "" {
				t.Errorf("node saw (-want +got):\n%s", d)
			}
		})
	}
}

func packetsNoGET(f *fakeServer) []string {
	var out []string
	for _, p := range f.packets() {
		if p != "GET" {
			out = append(out, p)
		}
	}
	return out
}
