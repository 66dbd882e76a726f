package conform

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/bitsim/bitsim/wire"
)

// limitProbes: header sizes, list lengths, session id length and the
// configured size limits (§2 rule 6, §3.1, §7.5, §9).
func limitProbes() []Probe {
	g := GroupLimits
	return []Probe{
		probe(g, "header-over-4kb", "§2", "a header value over 4 KB gets 400 with 0x80070057", func(t *T) {
			t.wantBadRequest(t.Send(t.pkt(t.Name(), tPing, "", Header{"X-Conform-Long", strings.Repeat("a", wire.MaxHeaderValue+1)})),
				"Ping with a 4097-byte header value")
		}),
		probe(g, "header-at-4kb", "§2", "a header value of exactly 4 KB is accepted", func(t *T) {
			t.wantOK(t.Send(t.pkt(t.Name(), tPing, "", Header{"X-Conform-Long", strings.Repeat("a", wire.MaxHeaderValue)})),
				"Ping with a 4096-byte header value")
		}),
		probe(g, "100-protocols", "§3.1", "a list of 100 GUIDs ending with BITS 1.5 is accepted", func(t *T) {
			ids := make([]string, 0, 100)
			for i := range 99 {
				ids = append(ids, fmt.Sprintf("{%08x-1111-2222-3333-444444444444}", i))
			}
			ids = append(ids, guid)
			t.wantOK(t.Send(t.pkt(t.Name(), tCreate, "", Header{wire.HdrSupportedProtocols, strings.Join(ids, " ")})),
				"Create-Session offering 100 protocols")
		}),
		probe(g, "session-id-length", "§3.1", "the session id is at most 100 visible characters", func(t *T) {
			sid := t.create(t.Name())
			if len(sid) > 100 {
				t.Failf("session id is %d characters, want at most 100", len(sid))
			}
			for i := 0; i < len(sid); i++ {
				if sid[i] <= ' ' || sid[i] >= 0x7f {
					t.Failf("session id %q has a non-visible character at %d", sid, i)
				}
			}
		}),
		probe(g, "large-fragment", "§7.5", "a 1 MiB fragment is stored intact (or refused with 413)", func(t *T) {
			if m := t.s.cfg.MaxFragmentSize; m > 0 && m < 1<<20 {
				t.NA("the server's fragment limit (%d bytes) is below 1 MiB", m)
			}
			name, data := t.Name(), t.Payload(1<<20+1000)
			sid := t.create(name)
			r := t.frag(name, sid, data, 0, 1<<20-1)
			if r.Status == http.StatusRequestEntityTooLarge {
				t.NA("the server refuses 1 MiB fragments with 413")
			}
			t.wantReceived(r, "Fragment of 1 MiB", 200, 1<<20)
			t.sendAll(name, sid, data, 1<<20, 1000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "max-upload-size", "§9", "an upload larger than BITSMaximumUploadSize gets 500 with 0x80200020 (BG_E_TOO_LARGE)", func(t *T) {
			m := t.s.cfg.MaxUploadSize
			if m <= 0 {
				t.NA("the server's BITSMaximumUploadSize is not known (--max-upload-size)")
			}
			name := t.Name()
			sid := t.create(name)
			r := t.pkt(name, tFrag, sid, Header{wire.HdrContentRange, wire.Range{First: 0, Last: 99, Total: m + 1}.String()})
			r.Body = t.Payload(100)
			t.wantError(t.Send(r), fmt.Sprintf("Fragment of a %d-byte upload", m+1), hr(wire.BGETooLarge), http.StatusInternalServerError)
		}),
		probe(g, "max-fragment-size", "§7.5", "a fragment over the server's limit gets 413; smaller fragments then go through", func(t *T) {
			m := t.s.cfg.MaxFragmentSize
			if m <= 0 {
				t.NA("the server's fragment limit is not known (--max-fragment-size)")
			}
			name, data := t.Name(), t.Payload(int(m)+1)
			sid := t.create(name)
			r := t.frag(name, sid, data, 0, m)
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Failf("Fragment of %d bytes: want 413, got %s", m+1, statusOf(r))
			}
			t.sendAll(name, sid, data, 0, int(m))
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
	}
}
