package wire

import (
	"fmt"
	"github.com/bitsim/bitsim/internal/enum"
)

// Method is the HTTP extension method of every BITS upload packet.
const Method = "BITS_POST"

// ProtocolGUID is the only upload protocol defined, "BITS 1.5 Upload
// Protocol". Clients send it in lower case; IIS echoes it in lower case.
const ProtocolGUID = "{7df0354d-249b-430f-820d-3d2a9bef4931}"

// Header names, spelled as IIS writes them on the wire. Read them with
// http.Header.Get (case-insensitive); write them with SetExact to keep the
// spelling.
const (
	HdrPacketType            = "BITS-Packet-Type"
	HdrSupportedProtocols    = "BITS-Supported-Protocols"
	HdrProtocol              = "BITS-Protocol"
	HdrSessionID             = "BITS-Session-Id"
	HdrHostID                = "BITS-Host-Id"
	HdrHostIDFallbackTimeout = "BITS-Host-Id-Fallback-Timeout"
	HdrReceivedContentRange  = "BITS-Received-Content-Range"
	HdrReplyURL              = "BITS-Reply-URL"
	HdrErrorCode             = "BITS-Error-Code"
	HdrError                 = "BITS-Error" // [MC-BUP]'s name for BITS-Error-Code; accepted, never sent
	HdrErrorContext          = "BITS-Error-Context"
	HdrAcceptEncoding        = "Accept-Encoding"
	HdrContentName           = "Content-Name"
	HdrContentLength         = "Content-Length"
	HdrContentRange          = "Content-Range"
	HdrContentEncoding       = "Content-Encoding"

	// Notification protocol (server ↔ server application).
	HdrOriginalRequestURL    = "BITS-Original-Request-URL"
	HdrRequestDataFileName   = "BITS-Request-DataFile-Name"
	HdrResponseDataFileName  = "BITS-Response-DataFile-Name"
	HdrStaticResponseURL     = "BITS-Static-Response-URL"
	HdrCopyFileToDestination = "BITS-Copy-File-To-Destination"
)

// Harness headers, not part of BITS. HdrClientID is a custom header
// (SetCustomHeaders) bitsim's client sends on every request with its job id;
// the farm's balancer pins on it (sticky policy) and nodes count sessions
// per client with it. HdrNode names the notifying node in notifications.
const (
	HdrClientID = "X-Bitsim-Client"
	HdrNode     = "X-Bitsim-Node"
	// HdrRequestID on an error Ack names the request in the server's log.
	HdrRequestID = "X-Bitsim-Request-Id"
)

// MaxHeaderValue is the longest header value a server accepts (4 KB).
const MaxHeaderValue = 4096

// MinFragment is the smallest fragment a client shrinks to after a 413.
const MinFragment = 5 * 1024

// MaxFragment is the largest fragment a Windows-like client sends (13 MB).
const MaxFragment = 13 * 1024 * 1024

// PacketType is the value of BITS-Packet-Type.
type PacketType int

// Packet types.
const (
	Unknown PacketType = iota
	Ping
	CreateSession
	Fragment
	CloseSession
	CancelSession
	AckPacket // the server's answer; the struct Ack models its headers
)

var packetNames = enum.New[PacketType]("wire", "packet type", "", "Ping", "Create-Session", "Fragment", "Close-Session",
	"Cancel-Session", "Ack")

// String returns the wire spelling used by the Windows client ("Create-Session").
func (p PacketType) String() string { return packetNames.String(p) }

// ParsePacketType matches s case-insensitively and ignoring surrounding
// white space. It returns Unknown and an error for anything else.
func ParsePacketType(s string) (PacketType, error) { return packetNames.Parse(s) }

// Context is a BG_ERROR_CONTEXT value, sent in BITS-Error-Context.
type Context uint32

// Error contexts (§6.2). The server sends only ContextRemoteFile and
// ContextRemoteApplication; the client uses the others for its own errors.
const (
	ContextNone                     Context = 0
	ContextUnknown                  Context = 1
	ContextGeneralQueueManager      Context = 2
	ContextQueueManagerNotification Context = 3
	ContextLocalFile                Context = 4
	ContextRemoteFile               Context = 5 // the server produced the error
	ContextGeneralTransport         Context = 6
	ContextRemoteApplication        Context = 7 // the server application produced the error
)

var contextNames = [...]string{"NONE", "UNKNOWN", "GENERAL_QUEUE_MANAGER", "QUEUE_MANAGER_NOTIFICATION", "LOCAL_FILE", "REMOTE_FILE", "GENERAL_TRANSPORT", "REMOTE_APPLICATION"}

// String returns the BG_ERROR_CONTEXT name.
func (c Context) String() string {
	if int(c) < len(contextNames) {
		return contextNames[c]
	}
	return fmt.Sprintf("Context(%d)", uint32(c))
}

// Hex returns the wire form, "0x5".
func (c Context) Hex() string { return fmt.Sprintf("0x%X", uint32(c)) }

// ParseContext parses a context value written in hex, with or without 0x,
// in any case.
func ParseContext(s string) (Context, error) {
	v, err := parseHex32(s)
	if err != nil {
		return 0, fmt.Errorf("wire: bad error context %q: %w", s, err)
	}
	return Context(v), nil
}
