package orderapp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// post sends one notification: by reference when file is set, else by value.
func post(t *testing.T, a *App, file, body string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(body))
	if file != "" {
		req.Header.Set("BITS-Request-DataFile-Name", file)
		req.Header.Set("BITS-Response-DataFile-Name", file+".reply")
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	return rec.Code
}

func effects(t *testing.T, a *App) map[string]int {
	t.Helper()
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/effects", nil))
	var got struct {
		Effects map[string]int `json:"effects"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("probe: %v: %s", err, rec.Body)
	}
	return got.Effects
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		want int
		why  string
	}{
		{Naive, 2, "every notification is an order"},
		{Idempotent, 1, "the second delivery of txn order-1 is recognised"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			dir := t.TempDir()
			a, err := Open(Config{DB: filepath.Join(dir, "orders.db"), Mode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			up := filepath.Join(dir, "requestfile.bin")
			if err := os.WriteFile(up, []byte("bitsim-txn: order-1\nrandom bytes"), 0o644); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				if code := post(t, a, up, ""); code != http.StatusOK {
					t.Fatalf("delivery %d by reference: status %d, want 200", i+1, code)
				}
			}
			if code := post(t, a, "", `{"order_id": "order-2", "item": "widget"}`); code != http.StatusOK {
				t.Fatalf("by value: status %d, want 200", code)
			}
			got := effects(t, a)
			if got["order-1"] != tc.want || got["order-2"] != 1 || len(got) != 2 {
				t.Errorf("effects %v, want order-1=%d order-2=1 (%s)", got, tc.want, tc.why)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	a, err := Open(Config{DB: filepath.Join(t.TempDir(), "o.db"), Mode: Idempotent})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if code := post(t, a, "", "no order here"); code != http.StatusBadRequest {
		t.Errorf("unparsable upload: status %d, want 400 (fatal for BITS)", code)
	}
	if code := post(t, a, filepath.Join(t.TempDir(), "gone.bin"), ""); code != http.StatusInternalServerError {
		t.Errorf("missing request file: status %d, want 500 (transient)", code)
	}
	if _, err := ParseMode("sometimes"); err == nil {
		t.Error("ParseMode accepted an unknown mode")
	}
}

// FuzzParseOrder: whatever parses has a non-empty transaction id.
func FuzzParseOrder(f *testing.F) {
	f.Add([]byte("bitsim-txn: order-1\npayload"))  // envelope
	f.Add([]byte(`{"order_id": "o-7", "qty": 2}`)) // JSON order
	f.Add([]byte(`{"txn": "t"}`))                  // JSON with txn
	f.Add([]byte("bitsim-txn: \n{}"))              // empty envelope id
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseOrder(b)
		if err == nil && o.Txn == "" {
			t.Fatalf("parsed %q with an empty transaction id", b)
		}
	})
}
