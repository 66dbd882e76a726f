package extapp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEffects(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Effects
		err      string
	}{
		{"counts - two txns - parsed", `{"effects": {"a": 1, "b": 2}}`, Effects{"a": 1, "b": 2}, ""},
		{"empty object - no effects yet - parsed", `{"effects": {}}`, Effects{}, ""},
		{"extra fields - ignored", `{"app": "x", "effects": {"a": 0}}`, Effects{"a": 0}, ""},
		{"plain text - not JSON - error quotes it", "ok\n", nil, `answer starts "ok\n"`},
		{"no effects key - error", `{"orders": {}}`, nil, `no "effects" object`},
		{"negative count - error", `{"effects": {"a": -1}}`, nil, `count "-1" for transaction "a"`},
		{"fractional count - error", `{"effects": {"a": 1.5}}`, nil, "not a non-negative integer"},
		{"list instead of object - error", `{"effects": ["a"]}`, nil, "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEffects([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrNotJSON) {
					t.Fatalf("err = %v, want ErrNotJSON containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// FuzzParseEffects: whatever parses has non-negative counts.
func FuzzParseEffects(f *testing.F) {
	f.Add([]byte(`{"effects": {"order-1": 2}}`)) // well-formed
	f.Add([]byte(`{"effects": null}`))           // null object
	f.Add([]byte(`not json`))                    // garbage
	f.Add([]byte(`{"effects": {"x": 1e3}}`))     // exponent
	f.Fuzz(func(t *testing.T, b []byte) {
		eff, err := ParseEffects(b)
		if err != nil {
			return
		}
		for txn, n := range eff {
			if n < 0 {
				t.Fatalf("negative count %d for %q from %q", n, txn, b)
			}
		}
	})
}

func TestProbeRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/effects":
			w.Write([]byte(`{"effects": {"t1": 1}}`))
		case "/html":
			w.Write([]byte("<html>hello</html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	eff, err := Probe{URL: srv.URL + "/effects"}.Read(ctx)
	if err != nil || eff["t1"] != 1 {
		t.Fatalf("Read = %v, %v", eff, err)
	}
	if _, err := (Probe{URL: srv.URL + "/html"}).Read(ctx); err == nil || !strings.Contains(err.Error(), srv.URL+"/html") || !errors.Is(err, ErrNotJSON) {
		t.Errorf("HTML answer: err = %v, want ErrNotJSON naming the URL", err)
	}
	if _, err := (Probe{URL: srv.URL + "/nope"}).Read(ctx); err == nil || !strings.Contains(err.Error(), "answered 404") {
		t.Errorf("404: err = %v", err)
	}
	eff, err = Probe{Cmd: `printf '{"effects": {"t2": 3}}'`}.Read(ctx)
	if err != nil || eff["t2"] != 3 {
		t.Fatalf("command probe = %v, %v", eff, err)
	}
	if _, err := (Probe{Cmd: "echo oops >&2; exit 3"}).Read(ctx); err == nil || !strings.Contains(err.Error(), "oops") {
		t.Errorf("failing command: err = %v, want its stderr", err)
	}
	srv.Client().CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
}

func TestDiffUnknown(t *testing.T) {
	before := Effects{"old": 1, "a": 1, "gone": 2}
	after := Effects{"old": 1, "a": 3, "b": 1}
	want := Effects{"a": 2, "b": 1, "gone": -2}
	if d := cmp.Diff(want, Diff(before, after)); d != "" {
		t.Errorf("Diff (-want +got)\n%s", d)
	}
	if got := Unknown(Diff(before, after), []string{"a", "b"}); !cmp.Equal(got, []string{"gone"}) {
		t.Errorf("Unknown = %v, want [gone]", got)
	}
}

func TestCheckReachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx := context.Background()
	if err := CheckReachable(ctx, "http://"+addr+"/notify", 0); err != nil {
		t.Errorf("listening app: %v", err)
	}
	ln.Close()
	u := "http://" + addr + "/notify"
	if err := CheckReachable(ctx, u, 0); err == nil || !strings.Contains(err.Error(), u) {
		t.Errorf("closed port: err = %v, want one naming %s", err, u)
	}
	if err := CheckReachable(ctx, "https://"+addr+"/x", 0); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("https: err = %v", err)
	}
}
