package knob

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bitsim/bitsim/internal/enum"
)

// Storage says where a farm's nodes keep their sessions.
type Storage int

// Storage kinds.
const (
	// LocalStorage: each node has its own session directory, so only the
	// node that created a session can continue it (the case BITSHostId
	// exists for).
	LocalStorage Storage = iota
	// SharedStorage: every node uses one directory and can resume any
	// session (spec §14 case 15).
	SharedStorage
)

var storageNames = enum.New[Storage]("knob", "storage", "local", "shared")

func (s Storage) String() string                { return storageNames.String(s) }
func (s Storage) MarshalText() ([]byte, error)  { return storageNames.MarshalText(s) }
func (s *Storage) UnmarshalText(b []byte) error { return storageNames.UnmarshalText(s, b) }

// ParseStorage parses "local" or "shared".
func ParseStorage(s string) (Storage, error) { return storageNames.Parse(s) }

// PolicyKind is how the balancer chooses a node for a new connection.
type PolicyKind int

// Balancer policies.
const (
	RoundRobin PolicyKind = iota // nodes in turn, one per connection
	Random                       // uniform, from the run's seeded Rand
	Sticky                       // the same client always reaches the same node (see farm.StickyHeader)
	Pin                          // node Policy.Node; with failover, the next node while it is down
)

var policyNames = enum.New[PolicyKind]("knob", "balancer policy", "round-robin", "random", "sticky", "pin").
	Alias("rr", RoundRobin)

func (k PolicyKind) String() string { return policyNames.String(k) }

// Policy is a balancer policy, written "round-robin" (default, also "rr"),
// "random", "sticky" or "pin:K" (K counts nodes from 1).
type Policy struct {
	Kind PolicyKind
	Node int // 1-based node number, for Pin
}

func (p Policy) String() string {
	if p.Kind == Pin {
		return "pin:" + strconv.Itoa(p.Node)
	}
	return p.Kind.String()
}

// ParsePolicy parses the String form of a Policy ("" is round-robin).
func ParsePolicy(s string) (Policy, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Policy{}, nil
	}
	if k, ok := strings.CutPrefix(strings.ToLower(t), "pin:"); ok {
		if n, err := strconv.Atoi(k); err == nil && n >= 1 {
			return Policy{Kind: Pin, Node: n}, nil
		}
		return Policy{}, fmt.Errorf("knob: invalid balancer policy %q (pin:K needs a node number K ≥ 1)", s)
	}
	k, err := policyNames.Parse(t)
	if err != nil || k == Pin {
		return Policy{}, fmt.Errorf("knob: invalid balancer policy %q (want round-robin|random|sticky|pin:K)", s)
	}
	return Policy{Kind: k}, nil
}

// MarshalText implements encoding.TextMarshaler.
func (p Policy) MarshalText() ([]byte, error) {
	if !policyNames.Valid(p.Kind) || (p.Kind == Pin && p.Node < 1) {
		return nil, fmt.Errorf("knob: invalid balancer policy %+v", p)
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Policy) UnmarshalText(b []byte) error {
	v, err := ParsePolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// AppMode is how the mock application processes repeated deliveries.
type AppMode int

const (
	// Naive applies an effect for every delivery it processes, so every
	// duplicate BITS delivery is a duplicate effect. It is the default: the
	// harness exists to make the protocol's duplicates visible.
	Naive AppMode = iota
	// Idempotent de-duplicates on the transaction id carried in the
	// envelope (§14 case 6): a repeat of an applied transaction gets the
	// reply of the first one and applies nothing. Deliveries without an
	// envelope fall back to the key "sha256 of the file + remote URL".
	Idempotent
)

var appModeNames = enum.New[AppMode]("knob", "app mode", "naive", "idempotent")

func (m AppMode) String() string                { return appModeNames.String(m) }
func (m AppMode) MarshalText() ([]byte, error)  { return appModeNames.MarshalText(m) }
func (m *AppMode) UnmarshalText(b []byte) error { return appModeNames.UnmarshalText(m, b) }

// ParseAppMode parses "naive" or "idempotent".
func ParseAppMode(s string) (AppMode, error) { return appModeNames.Parse(s) }

// Forms lists the accepted spellings, for documentation.
func (Policy) Forms() []string { return []string{"round-robin", "random", "sticky", "pin:K"} }
