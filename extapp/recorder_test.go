package extapp

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// notifyVia sends a notification the way a node does, through rec.
func notifyVia(t *testing.T, rec *Recorder, target, file, body string) (int, error) {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(http.MethodPost, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	wire.SetExact(req.Header, wire.HdrOriginalRequestURL, "http://farm/upload/order.dat")
	if file != "" {
		wire.SetExact(req.Header, wire.HdrRequestDataFileName, file)
		wire.SetExact(req.Header, wire.HdrResponseDataFileName, file+".reply")
	}
	req.Header.Set(wire.HdrNode, "node1")
	resp, err := (&http.Client{Transport: rec}).Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestRecorder(t *testing.T) {
	dir := t.TempDir()
	upload := filepath.Join(dir, "requestfile.bin")
	payload := "bitsim-txn: order-7\nthe order"
	if err := os.WriteFile(upload, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	reads := ReadCheckWorks(dir)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/reads":
			if f := r.Header.Get(wire.HdrRequestDataFileName); f != "" {
				os.ReadFile(f)
			}
			io.Copy(io.Discard, r.Body)
		case "/lazy": // answers 200 without opening the file
		case "/crash":
			panic(http.ErrAbortHandler)
		}
	}))
	defer srv.Close()
	hist := sim.NewHistory()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	rec := NewRecorder(RecorderConfig{Next: tr, Events: hist, ReadCheck: reads})

	if code, err := notifyVia(t, rec, srv.URL+"/reads", upload, ""); err != nil || code != 200 {
		t.Fatalf("by reference: %d, %v", code, err)
	}
	if code, err := notifyVia(t, rec, srv.URL+"/lazy", upload, ""); err != nil || code != 200 {
		t.Fatalf("lazy app: %d, %v", code, err)
	}
	if code, err := notifyVia(t, rec, srv.URL+"/reads", "", payload); err != nil || code != 200 {
		t.Fatalf("by value: %d, %v", code, err)
	}
	if _, err := notifyVia(t, rec, srv.URL+"/crash", upload, ""); err == nil {
		t.Fatal("crashing app: no error")
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	if _, err := notifyVia(t, rec, refused, upload, ""); err == nil {
		t.Fatal("refused: no error")
	}

	led := rec.Ledger()
	if len(led) != 4 {
		t.Fatalf("ledger has %d deliveries, want 4 (the refused notification never reached the app): %+v", len(led), led)
	}
	want := ledger.Delivery{Node: "node1", RemoteURL: "http://farm/upload/order.dat", Txn: "order-7", Size: int64(len(payload))}
	for i, d := range led {
		if d.Node != want.Node || d.RemoteURL != want.RemoteURL || d.Txn != want.Txn || d.Size != want.Size || d.SHA256 != led[0].SHA256 {
			t.Errorf("delivery %d = %+v, want node, URL, txn, size and hash of the upload", i+1, d)
		}
		if d.Duplicate != (i > 0) {
			t.Errorf("delivery %d: Duplicate = %v", i+1, d.Duplicate)
		}
	}
	if led[2].Mode != ledger.ByValue || led[0].Mode != ledger.ByReference {
		t.Errorf("modes %s, %s", led[0].Mode, led[2].Mode)
	}
	if led[3].Status != 0 || !strings.HasPrefix(led[3].Dropped, "no answer") {
		t.Errorf("crash: status %d dropped %q, want 0 and no answer", led[3].Status, led[3].Dropped)
	}
	if reads {
		if led[0].Unread || !led[1].Unread {
			t.Errorf("read check: reading app Unread=%v, lazy app Unread=%v; want false, true", led[0].Unread, led[1].Unread)
		}
	} else {
		t.Log("access times are not updated here: read check skipped")
	}
	n := 0
	for _, e := range hist.Events() {
		if e.Kind == sim.AppDelivery {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d app.delivery events, want 4", n)
	}
}
