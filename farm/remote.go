package farm

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Target aims a farm at an external BITS upload server instead of
// in-process nodes (bitsim run --target):
//
//	client ──► [shared] ──► URL's host            (the server's own address)
//	client ──► [nodeK]  ──► NodeURLs[k-1]'s host  (host-id farms)
//
// Without NodeURLs the server itself is node1.
// Every path still crosses a toxiproxy link, so link faults apply. Kill and
// restart actions run the KillCmd and RestartCmd hooks (sh -c, with
// BITSIM_NODE set to the node's name and BITSIM_NODE_URL to its URL); the
// node-side events, crash points and in-process node actions do not exist
// (scenarios needing them are skipped, see scenarios.TargetSkipReason). The
// mock app is started as usual, at AppAddr if set, for a server configured
// to notify http://AppAddr/notify.
type Target struct {
	// URL is the server's upload URL prefix, e.g. http://host:8080/upload/.
	URL string
	// NodeURLs are the server's per-node URLs, for host-id farms.
	NodeURLs []string
	// KillCmd and RestartCmd are shell commands for kill and restart.
	KillCmd, RestartCmd string
	// AppAddr is where the mock app listens (default 127.0.0.1:0).
	AppAddr string
}

// hostOf returns the host:port of an http(s) URL, with the scheme's port.
func hostOf(raw string) (host, path string, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("farm: target URL %q: want http://HOST[:PORT]/PATH", raw)
	}
	host = u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	path = u.Path
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return host, path, nil
}

// newTargetSlots makes one remote slot per node URL: no in-process node,
// its address is the server node's.
func (f *Farm) newTargetSlots() error {
	t := f.cfg.Target
	host, path, err := hostOf(t.URL)
	if err != nil {
		return err
	}
	f.targetHost, f.prefix = host, path
	nodes := t.NodeURLs
	if len(nodes) == 0 {
		nodes = []string{t.URL} // one node: the server itself
	}
	for i, nu := range nodes {
		addr, p, err := hostOf(nu)
		if err != nil {
			return err
		}
		ip, err := offsetIP(f.cfg.Bind, i+1)
		if err != nil {
			return err
		}
		f.slots = append(f.slots, &slot{idx: i, name: "node" + strconv.Itoa(i+1), addr: addr, hostIP: ip, remote: nu})
		f.slots[i].cfg.Prefix = p
	}
	return nil
}

// runHook runs a kill or restart hook for slot s.
func (f *Farm) runHook(ctx context.Context, what, cmd string, s *slot) error {
	if cmd == "" {
		return fmt.Errorf("farm: %s %s: no --%s-cmd for the target", what, s.name, what)
	}
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Env = append(os.Environ(), "BITSIM_NODE="+s.name, "BITSIM_NODE_URL="+s.remote)
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("farm: %s-cmd for %s: %w (%s)", what, s.name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// HostMap maps the host name of each --node-url (Target.NodeURLs[k-1]) to
// the address of link nodeK, for a client that follows the server's own
// BITS-Host-Id values (client.Options.HostMap): its packets after
// Create-Session then cross nodeK's link, so link faults reach them. Nil
// for an in-process farm or a target without node URLs; a host name
// shared by two node URLs is left out (it names no one node).
func (f *Farm) HostMap() map[string]string {
	if f.cfg.Target == nil || len(f.cfg.Target.NodeURLs) == 0 {
		return nil
	}
	m, dup := map[string]string{}, map[string]bool{}
	for _, s := range f.slots {
		h, _, err := net.SplitHostPort(s.addr)
		if err != nil {
			continue
		}
		if _, seen := m[h]; seen {
			dup[h] = true
		}
		m[h] = net.JoinHostPort(s.hostIP, strconv.Itoa(f.port))
	}
	for h := range dup {
		delete(m, h)
	}
	return m
}
