package wire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// HRESULT is a Windows error code as carried in BITS-Error-Code.
type HRESULT uint32

// HRESULTs used by the upload protocol (§6.4).
const (
	OK                           HRESULT = 0x00000000 // sent with 416
	EAccessDenied                HRESULT = 0x80070005 // 403 / 501
	EInvalidArg                  HRESULT = 0x80070057 // 400 / 411
	EDiskFull                    HRESULT = 0x80070070 // HRESULT_FROM_WIN32(ERROR_DISK_FULL)
	ENotifyTimeout               HRESULT = 0x80070112 // [MC-BUP]'s value for notification time-outs (408)
	BGETooManyFiles              HRESULT = 0x8020001C
	BGELocalFileChanged          HRESULT = 0x8020001D
	BGEErrorContextRemoteApp     HRESULT = 0x8020001E
	BGESessionNotFound           HRESULT = 0x8020001F
	BGETooLarge                  HRESULT = 0x80200020
	BGEStringTooLong             HRESULT = 0x80200021
	BGEClientServerProtoMismatch HRESULT = 0x80200022
	BGEServerExecuteEnabled      HRESULT = 0x80200023
	BGENoProgress                HRESULT = 0x80200024
	BGENetworkDisconnected       HRESULT = 0x80200010
	BGEHTTPErrorBase             HRESULT = 0x80190000 // + HTTP status: BG_E_HTTP_ERROR_nnn
	WinHTTPTimeout               HRESULT = 0x80072EE2
	WinHTTPNameNotResolved       HRESULT = 0x80072EE7
	WinHTTPCannotConnect         HRESULT = 0x80072EFD
	WinHTTPConnectionError       HRESULT = 0x80072EFE
	WinHTTPInvalidServerResponse HRESULT = 0x80072F78
)

var hresultNames = map[HRESULT]string{
	OK:                           "S_OK",
	EAccessDenied:                "E_ACCESSDENIED",
	EInvalidArg:                  "E_INVALIDARG",
	EDiskFull:                    "ERROR_DISK_FULL",
	ENotifyTimeout:               "NOTIFY_TIMEOUT",
	BGETooManyFiles:              "BG_E_TOO_MANY_FILES",
	BGELocalFileChanged:          "BG_E_LOCAL_FILE_CHANGED",
	BGEErrorContextRemoteApp:     "BG_E_ERROR_CONTEXT_REMOTE_APPLICATION",
	BGESessionNotFound:           "BG_E_SESSION_NOT_FOUND",
	BGETooLarge:                  "BG_E_TOO_LARGE",
	BGEStringTooLong:             "BG_E_STRING_TOO_LONG",
	BGEClientServerProtoMismatch: "BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH",
	BGEServerExecuteEnabled:      "BG_E_SERVER_EXECUTE_ENABLED",
	BGENoProgress:                "BG_E_NO_PROGRESS",
	BGENetworkDisconnected:       "BG_E_NETWORK_DISCONNECTED",
	WinHTTPTimeout:               "WINHTTP_TIMEOUT",
	WinHTTPNameNotResolved:       "WINHTTP_NAME_NOT_RESOLVED",
	WinHTTPCannotConnect:         "WINHTTP_CANNOT_CONNECT",
	WinHTTPConnectionError:       "WINHTTP_CONNECTION_ERROR",
	WinHTTPInvalidServerResponse: "WINHTTP_INVALID_SERVER_RESPONSE",
}

// HTTPError returns BG_E_HTTP_ERROR_nnn for an HTTP status (0x80190000 + status).
func HTTPError(status int) HRESULT { return BGEHTTPErrorBase + HRESULT(status) }

// Hex returns the wire form, "0x8020001F".
func (h HRESULT) Hex() string { return fmt.Sprintf("0x%08X", uint32(h)) }

// String returns the symbolic name and hex value.
func (h HRESULT) String() string {
	if n, ok := hresultNames[h]; ok {
		return n + " (" + h.Hex() + ")"
	}
	if h > BGEHTTPErrorBase && h < BGEHTTPErrorBase+600 {
		return fmt.Sprintf("BG_E_HTTP_ERROR_%d (%s)", uint32(h-BGEHTTPErrorBase), h.Hex())
	}
	return h.Hex()
}

// ParseHRESULT parses an HRESULT written in hex, with or without 0x, in any
// case, as servers in the wild send it.
func ParseHRESULT(s string) (HRESULT, error) {
	v, err := parseHex32(s)
	if err != nil {
		return 0, fmt.Errorf("wire: bad HRESULT %q: %w", s, err)
	}
	return HRESULT(v), nil
}

func parseHex32(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if s == "" || len(s) > 8 {
		return 0, errors.New("not a 32-bit hex number")
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return 0, errors.New("not a 32-bit hex number")
	}
	return uint32(v), nil
}
