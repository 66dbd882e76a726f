package wire

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		name, in string
		want     Range
		wantErr  bool
	}{
		{"wire form from capture", "bytes 0-65535/200000", Range{0, 65535, 200000}, false},
		{"Win32 docs capital unit", "Bytes 128-212/213", Range{128, 212, 213}, false},
		{"single byte", "bytes 0-0/1", Range{0, 0, 1}, false},
		{"spaces tolerated", "  bytes  5 - 9 / 10 ", Range{5, 9, 10}, false},
		{"last equals total is invalid", "bytes 0-10/10", Range{}, true},
		{"first after last is invalid", "bytes 9-5/10", Range{}, true},
		{"zero total has no valid range", "bytes 0-0/0", Range{}, true},
		{"negative is not decimal", "bytes -1-5/10", Range{}, true},
		{"plus sign rejected", "bytes +1-5/10", Range{}, true},
		{"star total rejected", "bytes 0-5/*", Range{}, true},
		{"other unit", "items 0-5/10", Range{}, true},
		{"no space after unit", "bytes0-5/10", Range{}, true},
		{"overflow", "bytes 0-5/99999999999999999999", Range{}, true},
		{"empty", "", Range{}, true},
		{"slash before dash", "bytes 0/5-10", Range{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseContentRange(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadRange) {
				t.Errorf("error %v does not wrap ErrBadRange", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if err == nil {
				back, err := ParseContentRange(got.String())
				if err != nil || back != got {
					t.Errorf("round trip %q -> %+v, %v", got.String(), back, err)
				}
			}
		})
	}
}

func TestParsePacketTypeIsCaseInsensitive(t *testing.T) {
	for in, want := range map[string]PacketType{
		"Create-Session": CreateSession, "CREATE-SESSION": CreateSession, "create-session": CreateSession,
		"Ping": Ping, "PING": Ping, " Fragment ": Fragment, "Close-Session": CloseSession,
		"CANCEL-SESSION": CancelSession, "ACK": AckPacket,
	} {
		got, err := ParsePacketType(in)
		if err != nil || got != want {
			t.Errorf("ParsePacketType(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParsePacketType("Fragments"); err == nil {
		t.Error("unknown packet type accepted")
	}
}

func TestParseHRESULTFormats(t *testing.T) {
	for _, in := range []string{"0x8020001F", "0x8020001f", "8020001F", "0X8020001F", " 8020001f "} {
		got, err := ParseHRESULT(in)
		if err != nil || got != BGESessionNotFound {
			t.Errorf("ParseHRESULT(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0x", "0x123456789", "zz", "-1"} {
		if _, err := ParseHRESULT(in); err == nil {
			t.Errorf("ParseHRESULT(%q) accepted", in)
		}
	}
	if HTTPError(404) != 0x80190194 || HTTPError(505) != 0x801901F9 {
		t.Error("BG_E_HTTP_ERROR pattern wrong")
	}
	if s := BGESessionNotFound.String(); s != "BG_E_SESSION_NOT_FOUND (0x8020001F)" {
		t.Error(s)
	}
}

func TestAckWriteUsesIISSpellingAndParsesBack(t *testing.T) {
	ack := Ack{Status: 200, SessionID: "{A0FF5911-4144-45B3-BF27-27AFC8EC8A67}", Protocol: ProtocolGUID,
		HostID: "127.0.0.2", FallbackTimeout: 86400, HasFallback: true, AcceptEncoding: "identity"}
	rec := httptest.NewRecorder()
	ack.Write(rec)
	for _, k := range []string{"BITS-Packet-Type", "BITS-Session-Id", "BITS-Protocol", "BITS-Host-Id", "BITS-Host-Id-Fallback-Timeout", "Content-Length"} {
		if _, ok := rec.Header()[k]; !ok {
			t.Errorf("header %q not written with exact spelling; have %v", k, rec.Header())
		}
	}
	//lint:ignore SA1008 the exact IIS spelling is what is checked
	if _, ok := rec.Header()["BITS-Error-Code"]; ok {
		t.Error("error header on a 200 Ack")
	}
	got, err := ParseAck(rec.Code, rec.Header())
	if err != nil {
		t.Fatal(err)
	}
	ack.PacketType = "Ack"
	if diff := cmp.Diff(ack, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestParseAckAcceptsWhatServersSend(t *testing.T) {
	tests := []struct {
		name   string
		status int
		h      http.Header
		want   Ack
	}{
		{"lower-case names, BITS-Error, no 0x", 500, http.Header{
			"bits-packet-type": {"ack"}, "bits-error": {"8020001f"}, "bits-error-context": {"5"}},
			Ack{Status: 500, PacketType: "ack", Code: BGESessionNotFound, Context: ContextRemoteFile, HasError: true}},
		{"201 create with bare guid", 201, http.Header{
			"Bits-Packet-Type": {"Ack"}, "Bits-Session-Id": {"a0ff5911-4144-45b3-bf27-27afc8ec8a67"}},
			Ack{Status: 201, PacketType: "Ack", SessionID: "a0ff5911-4144-45b3-bf27-27afc8ec8a67"}},
		{"416 with offset and code 0", 416, http.Header{
			"BITS-Packet-Type": {"Ack"}, "BITS-Received-Content-Range": {"100000"}, "BITS-Error-Code": {"0x0"}, "BITS-Error-Context": {"0x5"}},
			Ack{Status: 416, PacketType: "Ack", Received: 100000, HasReceived: true, Context: ContextRemoteFile, HasError: true}},
		{"fallback ignored without host id", 200, http.Header{"BITS-Host-Id-Fallback-Timeout": {"x"}},
			Ack{Status: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAck(tt.status, tt.h)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	if _, err := ParseAck(200, http.Header{"BITS-Received-Content-Range": {"12-13"}}); err == nil {
		t.Error("a range in BITS-Received-Content-Range must be rejected")
	}
}

func TestErrorMatchesByCode(t *testing.T) {
	a, _ := ParseAck(500, http.Header{"BITS-Error-Code": {"0x8020001F"}, "BITS-Error-Context": {"0x5"}})
	if !IsSessionNotFound(a.Err()) {
		t.Errorf("%v is not session-not-found", a.Err())
	}
	if errors.Is(a.Err(), ErrTooLarge) {
		t.Error("matched the wrong code")
	}
	if !errors.Is(ErrTooLarge.WithMsg("x"), ErrTooLarge) {
		t.Error("WithMsg lost identity")
	}
	if (&Error{Status: 413}).Is(ErrSessionNotFound) {
		t.Error("codeless error matched a coded target")
	}
}

func TestClassifyTable65(t *testing.T) {
	for status, want := range map[int]Class{
		300: Fatal, 305: Fatal, 306: Transient, 307: Fatal, 308: Transient,
		400: Fatal, 403: Fatal, 404: Fatal, 408: Transient, 409: Transient, 410: Fatal, 499: Fatal,
		500: Transient, 501: Fatal, 502: Transient, 503: Transient, 505: Fatal, 599: Transient,
		100: Transient, 600: Transient,
	} {
		if got := Classify(status); got != want {
			t.Errorf("Classify(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestCanonicalSessionID(t *testing.T) {
	for in, want := range map[string]string{
		"{A0FF5911-4144-45B3-BF27-27AFC8EC8A67}": "{A0FF5911-4144-45B3-BF27-27AFC8EC8A67}",
		"a0ff5911-4144-45b3-bf27-27afc8ec8a67":   "{A0FF5911-4144-45B3-BF27-27AFC8EC8A67}",
		"{../../../../etc/passwd-aaaaaaaaaaaaa}": "",
		"12345":                                  "",
		"{A0FF5911-4144-45B3-BF27-27AFC8EC8A6G}": "",
	} {
		got, ok := CanonicalSessionID(in)
		if got != want || ok != (want != "") {
			t.Errorf("CanonicalSessionID(%q) = %q, %v", in, got, ok)
		}
	}
	id, err := NewSessionID(strings.NewReader(strings.Repeat("x", 16)))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := CanonicalSessionID(id); !ok || c != id {
		t.Errorf("NewSessionID %q not canonical", id)
	}
}

// Go omits Content-Length on empty custom-method requests unless forced;
// the spec makes it mandatory. Read the raw bytes off the wire.
func TestNewRequestSendsContentLengthZero(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	raw := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			raw <- ""
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		var sb strings.Builder
		for {
			line, err := br.ReadString('\n')
			sb.WriteString(line)
			if err != nil || line == "\r\n" {
				break
			}
		}
		raw <- sb.String()
		c.Write([]byte("HTTP/1.1 200 OK\r\nBITS-Packet-Type: Ack\r\nContent-Length: 0\r\n\r\n"))
	}()
	req, err := NewRequest(context.Background(), "http://"+ln.Addr().String()+"/upload/x", Ping, "", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := <-raw
	if !strings.HasPrefix(got, "BITS_POST /upload/x HTTP/1.1\r\n") {
		t.Errorf("request line: %q", got)
	}
	if !strings.Contains(got, "\r\nContent-Length: 0\r\n") {
		t.Errorf("no Content-Length: 0 in %q", got)
	}
	if !strings.Contains(got, "\r\nBITS-Packet-Type: Ping\r\n") {
		t.Errorf("packet type not in IIS spelling: %q", got)
	}
}

// Deployed servers: error headers on a 2xx Ack are a warning, and a
// misspelled BITS-Received-Content-Range is found as a near miss.
func TestParseAckToleratesDeployedServers(t *testing.T) {
	a, err := ParseAck(200, http.Header{"BITS-Error-Code": {"1"}, "BITS-Error-Context": {""}})
	if err != nil || !a.OK() || a.Warning == "" {
		t.Errorf("2xx with odd error headers: %+v, %v", a, err)
	}
	a, err = ParseAck(200, http.Header{"BITS-Error-Code": {"zz"}})
	if err != nil || a.HasError || !strings.Contains(a.Warning, "malformed") {
		t.Errorf("2xx with a malformed code: %+v, %v", a, err)
	}
	if _, err := ParseAck(500, http.Header{"BITS-Error-Code": {"zz"}}); err == nil {
		t.Error("5xx with a malformed code accepted")
	}
	a, err = ParseAck(500, http.Header{"BITS-Error-Code": {"0x8020001F"}, "BITS-Error-Context": {" "}})
	if err != nil || a.Code != BGESessionNotFound || a.Context != 0 || a.Warning == "" {
		t.Errorf("empty context: %+v, %v", a, err)
	}
	a, _ = ParseAck(416, http.Header{"Bits-Recieved-Content-Range": {"5120"}})
	if a.HasReceived || a.NearMissName != "Bits-Recieved-Content-Range" || a.NearMissValue != "5120" {
		t.Errorf("near miss: %+v", a)
	}
	for name, want := range map[string]bool{
		"BITS-Received-Content-Range": false, // the real one is not a near miss
		"bits-recieved-content-range": true,
		"BITS-Received-Content-Rang":  true,
		"BITS-Receivd-Contnt-Range":   true,
		"BITS-Received-Range":         false,
		"Content-Range":               false,
	} {
		_, _, got := NearMiss(http.Header{name: {"1"}}, HdrReceivedContentRange)
		if got != want {
			t.Errorf("NearMiss(%q) = %v, want %v", name, got, want)
		}
	}
}
