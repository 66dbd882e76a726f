package node

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// rowsCovered counts protocol exchanges checked by the unrolled tests.
var rowsCovered atomic.Int64

// startNode builds and starts a node on 127.0.0.1:0 with a fresh Dir (if
// unset) and a history; it is closed when the test ends.
func startNode(t testing.TB, cfg Config) (*Node, *sim.History) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	hist := sim.NewHistory()
	if cfg.Events == nil {
		cfg.Events = hist
	}
	if cfg.Name == "" {
		cfg.Name = "node1"
	}
	if cfg.NotificationURL == "" {
		cfg.NotificationType = NotifyNone // a node with no app to notify
	}
	return testutil.Start(t, "", func() (*Node, error) { return New(cfg) }), hist
}

// testClient is an HTTP client whose idle connections are closed at the
// end of the test (goleak).
func testClient(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// step is one unrolled protocol exchange (tusd's httpTest style): a
// request spelled out and the Ack it must get.
type step struct {
	name    string
	method  string // default BITS_POST
	path    string // remote path under the prefix (default "file.bin"); "/..." is absolute
	pkt     string // BITS-Packet-Type; "" omits it
	sid     string // "$" = the session of the last Create-Session
	rng     string // Content-Range
	body    string
	hdr     map[string]string
	noCL    bool // send no Content-Length
	chunked bool // send the body chunked
	status  int
	want    map[string]string // header → value; "" absent; "*" present
	why     string
}

// exchange runs steps in order against n, tracking the session id.
type exchange struct {
	t   *testing.T
	n   *Node
	c   *http.Client
	sid string
}

func newExchange(t *testing.T, n *Node) *exchange {
	return &exchange{t: t, n: n, c: testClient(t)}
}

func (x *exchange) run(steps ...step) {
	x.t.Helper()
	for i, st := range steps {
		resp := x.do(st)
		name := st.name
		if name == "" {
			name = st.pkt
		}
		if resp.StatusCode != st.status {
			x.t.Errorf("step %d %s (%s): status %d, want %d; headers %v", i, name, st.why, resp.StatusCode, st.status, resp.Header)
		}
		if st.method == "" || st.method == wire.Method {
			checkAckShape(x.t, resp.StatusCode, resp.Header)
		}
		for k, v := range st.want {
			got, ok := wire.Header(resp.Header, k)
			switch {
			case v == "" && ok:
				x.t.Errorf("step %d %s: header %s = %q, want absent", i, name, k, got)
			case v == "*" && !ok:
				x.t.Errorf("step %d %s: header %s absent", i, name, k)
			case v != "" && v != "*" && got != v:
				x.t.Errorf("step %d %s: header %s = %q, want %q", i, name, k, got, v)
			}
		}
		if strings.EqualFold(st.pkt, "Create-Session") && resp.StatusCode == 200 {
			x.sid = resp.Header.Get(wire.HdrSessionID)
		}
		rowsCovered.Add(1)
	}
}

func (x *exchange) do(st step) *http.Response {
	x.t.Helper()
	method := st.method
	if method == "" {
		method = wire.Method
	}
	url := x.n.URL() + st.path
	if !strings.HasPrefix(st.path, "/") {
		p := st.path
		if p == "" {
			p = "file.bin"
		}
		url = x.n.UploadURL(p)
	}
	var body io.Reader = http.NoBody
	if st.body != "" {
		body = strings.NewReader(st.body)
	}
	if st.chunked {
		body = io.MultiReader(strings.NewReader(st.body))
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		x.t.Fatal(err)
	}
	switch {
	case st.chunked:
		req.ContentLength = -1
	case st.noCL:
	case st.body == "":
		req.ContentLength = 0
		req.TransferEncoding = []string{"identity"}
	default:
		req.ContentLength = int64(len(st.body))
	}
	if st.pkt != "" {
		wire.SetExact(req.Header, wire.HdrPacketType, st.pkt)
	}
	if strings.EqualFold(st.pkt, "Create-Session") && st.hdr[wire.HdrSupportedProtocols] == "" {
		wire.SetExact(req.Header, wire.HdrSupportedProtocols, wire.ProtocolGUID)
	}
	switch st.sid {
	case "":
	case "$":
		wire.SetExact(req.Header, wire.HdrSessionID, x.sid)
	default:
		wire.SetExact(req.Header, wire.HdrSessionID, st.sid)
	}
	if st.rng != "" {
		wire.SetExact(req.Header, wire.HdrContentRange, st.rng)
	}
	for k, v := range st.hdr {
		if v == "-" {
			delete(req.Header, k)
			continue
		}
		wire.SetExact(req.Header, k, v)
	}
	resp, err := x.c.Do(req)
	if err != nil {
		x.t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// checkAckShape asserts what every Ack has (§2.4, §5.1): BITS-Packet-Type
// Ack, Content-Length 0, error headers only on errors.
func checkAckShape(t testing.TB, status int, h http.Header) {
	t.Helper()
	if v, _ := wire.Header(h, wire.HdrPacketType); v != "Ack" {
		t.Errorf("Ack without BITS-Packet-Type: Ack (got %q)", v)
	}
	if v, ok := wire.Header(h, "Content-Length"); !ok || v != "0" {
		t.Errorf("Ack Content-Length %q, want 0", v)
	}
	_, hasCode := wire.Header(h, wire.HdrErrorCode)
	_, hasCtx := wire.Header(h, wire.HdrErrorContext)
	ok := status == 200 || status == 201
	if ok && (hasCode || hasCtx) {
		t.Errorf("status %d with error headers", status)
	}
	if hasCode != hasCtx {
		t.Errorf("error code and context must come together (%v %v)", hasCode, hasCtx)
	}
	if status < 100 || status > 599 {
		t.Errorf("invalid status %d", status)
	}
}

// delivery is one notification the mock app received.
type delivery struct {
	hdr  http.Header
	url  string
	body []byte // the upload: the POST body (by value) or the named file (by reference)
}

// mockApp is a minimal notification target (the real app package is
// tested on its own).
type mockApp struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []delivery
	// behaviour, guarded by mu
	status      int // 0 = 200
	statusTimes int // status applies this many times, then 200 (0 = always)
	reply       []byte
	replyFile   []byte
	static      string
	copy        bool
	block       chan struct{} // answer only when closed (or the request ends)
}

func newMockApp(t testing.TB) *mockApp {
	a := &mockApp{}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(func() {
		a.mu.Lock()
		if a.block != nil {
			select {
			case <-a.block:
			default:
				close(a.block)
			}
		}
		a.mu.Unlock()
		a.srv.Close()
	})
	return a
}

func (a *mockApp) url() string { return a.srv.URL + "/notify" }

func (a *mockApp) set(f func(a *mockApp)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f(a)
}

func (a *mockApp) deliveries() []delivery {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]delivery(nil), a.got...)
}

func (a *mockApp) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if p := r.Header.Get(wire.HdrRequestDataFileName); p != "" {
		body, _ = os.ReadFile(p)
	}
	a.mu.Lock()
	a.got = append(a.got, delivery{hdr: r.Header.Clone(), url: r.URL.String(), body: body})
	status := a.status
	if a.statusTimes > 0 {
		a.statusTimes--
		if a.statusTimes == 0 {
			a.status = 0
		}
	}
	reply, replyFile, static, cp, block := a.reply, a.replyFile, a.static, a.copy, a.block
	a.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	if replyFile != nil {
		if p := r.Header.Get(wire.HdrResponseDataFileName); p != "" {
			_ = os.WriteFile(p, replyFile, 0o644)
		}
	}
	if static != "" {
		w.Header().Set(wire.HdrStaticResponseURL, static)
	}
	if cp {
		w.Header().Set(wire.HdrCopyFileToDestination, "yes")
	}
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	w.Write(reply)
}

// payload returns n deterministic bytes.
func payload(n int) []byte { return testutil.Payload(n, 42) }

// frag returns a Fragment step for data[first:last+1] of a total-byte upload.
func frag(data []byte, first, last int64, status int, r int64) step {
	return step{pkt: "Fragment", sid: "$", rng: wire.Range{First: first, Last: last, Total: int64(len(data))}.String(),
		body: string(data[first : last+1]), status: status, want: map[string]string{wire.HdrReceivedContentRange: itoa(r)}}
}

func itoa(v int64) string { return strconvFormat(v) }

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes differ from the %d source bytes", what, len(got), len(want))
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func countKind(h *sim.History, k sim.Kind) int { return len(h.OfKind(k)) }

func strconvFormat(v int64) string { return strconv.FormatInt(v, 10) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
