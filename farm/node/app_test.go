package node

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/wire"
)

// TestWithMockApp runs an upload-reply by reference against the real mock
// app: one delivery recorded with this node's name and the upload's
// digest, and the app's reply downloadable through BITS-Reply-URL.
func TestWithMockApp(t *testing.T) {
	a := app.New(app.Config{Reply: true})
	if err := a.Start(t.Context(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	data := payload(5000)
	n, _ := startNode(t, Config{NotificationType: NotifyReference, NotificationURL: a.NotifyURL()})
	x := newExchange(t, n)
	x.run(step{pkt: create, status: 200}, frag(data, 0, 2999, 200, 3000))
	final := frag(data, 3000, 4999, 200, 5000)
	final.want[wire.HdrReplyURL] = `BITS-Sessions\Replies\` + x.sid + `\responsefile.bin`
	x.run(final)
	led := a.Ledger()
	sum := sha256.Sum256(data)
	if len(led) != 1 || led[0].Node != "node1" || led[0].SHA256 != hex.EncodeToString(sum[:]) || led[0].RemoteURL != n.UploadURL("file.bin") {
		t.Fatalf("ledger %+v", led)
	}
	resp, err := testClient(t).Get(n.UploadURL("BITS-Sessions/Replies/" + x.sid + "/responsefile.bin"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := app.ReplyFor("", hex.EncodeToString(sum[:]), int64(len(data))); string(got) != string(want) {
		t.Errorf("reply %q, want %q", got, want)
	}
	x.run(step{pkt: "Close-Session", sid: "$", status: 200})
}
