package node

import (
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
)

var (
	errBadPath     = errors.New("remote path is not a safe file name in the virtual directory")
	errDirectory   = errors.New("destination is a directory")
	errOutsideVdir = errors.New("URL is outside the virtual directory")
)

// remotePath maps a request's URL path to the remote path relative to the
// virtual directory, refusing anything that could address a file outside
// Dir or inside the session store: "..", ".", empty segments, backslashes,
// control characters, and the session directory itself. r.URL.Path is
// already percent-decoded, so "%2e%2e" and "%2f" are seen for what they
// are.
func (n *Node) remotePath(urlPath string) (string, error) {
	rel, ok := strings.CutPrefix(urlPath, n.cfg.Prefix)
	if !ok {
		return "", errOutsideVdir
	}
	if rel == "" || strings.HasSuffix(rel, "/") {
		return "", errDirectory
	}
	for i := 0; i < len(rel); i++ {
		if c := rel[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "", errBadPath
		}
	}
	segs := strings.Split(rel, "/")
	for _, s := range segs {
		if !validSegment(s) {
			return "", errBadPath
		}
	}
	if strings.EqualFold(segs[0], n.cfg.SessionDirectory) {
		return "", errBadPath
	}
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", errBadPath
	}
	return rel, nil
}

// destPath is the committed location of remote path rel (from remotePath).
func (n *Node) destPath(rel string) string {
	return filepath.Join(n.lay.root, filepath.FromSlash(rel))
}

// requestURL is the absolute URL the client addressed.
func requestURL(r *http.Request) string {
	if r.URL.IsAbs() {
		return r.URL.String()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// resolveNotifyURL applies §9: a relative notification URL is resolved
// against the directory of the upload URL, and the upload URL's query
// string is carried over (appended with & if the notification URL has its
// own).
func resolveNotifyURL(notify, upload string) (string, error) {
	base, err := url.Parse(upload)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(notify)
	if err != nil {
		return "", err
	}
	u := base.ResolveReference(ref)
	u.Fragment = ""
	if base.RawQuery != "" {
		if u.RawQuery == "" {
			u.RawQuery = base.RawQuery
		} else {
			u.RawQuery += "&" + base.RawQuery
		}
	}
	return u.String(), nil
}

// replyURL is the relative reply path IIS sends in BITS-Reply-URL, with
// backslashes (§3.1, [X]).
func (n *Node) replyURL(id string) string {
	return n.cfg.SessionDirectory + `\Replies\` + id + `\` + replyFileName
}
