package reports

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
)

// The timeline is a sequence diagram of one scenario run, drawn as inline
// SVG from its history:
//
//	history ──► rows (one per drawn event, history order)
//	        ──► collapse (runs of fragment exchanges, retry storms)
//	        ──► budget (at most MaxRows rows; important rows kept)
//	        ──► SVG (lanes: clients, balancer, nodes, app; time downwards)
//
// Requests are arrows client→node (through the balancer when sent to the
// shared address), Acks node→client, notifications node→app and answers
// app→node; faults are red lines across the diagram, crashes red crosses on
// their lane (the lane is hatched red while the node is down), restarts
// green, deliveries numbered on the app's lane (duplicates in red).

// laneKind orders the lanes left to right.
type laneKind int

const (
	laneClient laneKind = iota
	laneBalancer
	laneNode
	laneApp
)

type lane struct {
	name  string
	label string
	kind  laneKind
}

// row kinds.
const (
	rowArrow  = "arrow"
	rowMarker = "marker"
	rowFault  = "fault"
	rowGap    = "gap"
)

// row priorities: when a diagram has too many rows, lower ones go first.
const (
	prioNormal = iota
	prioNotify
	prioNotable
	prioCritical
)

type row struct {
	seq      int64
	at       time.Duration
	kind     string
	from, to int // lanes of an arrow
	lane     int // lane of a marker
	label    string
	class    string // CSS class: req ack err notify answer sum crash restart fault dlv dup note
	both     bool   // arrow heads at both ends (collapsed exchanges)
	prio     int
	job      string
	ex       *exchange
	hidden   bool
	title    string
	deliv    int // delivery number on the app lane
	viaLB    bool
	crossLB  int // balancer lane, for the dot
	downFrom bool
	downTo   bool
}

// exchange is a client request and its answer.
type exchange struct {
	job       string
	packet    string
	node      string // node that received it ("" if none did)
	target    int    // lane the request was sent to (node or balancer)
	first     int64
	last      int64
	req, resp *row
	ok        bool // 2xx (or 416 resync)
	failed    bool // transport error or error status
	respLabel string
	offset    int64
	straddles bool // a row of the same job came between request and answer
}

type timeline struct {
	lanes  []lane
	rows   []*row
	byName map[string]int
	jobs   []string
}

// buildTimeline turns a history into rows.
func buildTimeline(evs []sim.Event, deliveries []ledger.Delivery, maxRows int) *timeline {
	tl := &timeline{byName: map[string]int{}}
	b := &tlBuilder{tl: tl, evs: evs, ledger: deliveries, t0: start(evs), ops: sim.Exchanges(evs),
		exs: map[*sim.Exchange]*exchange{}, started: map[string]bool{}, sessionJob: map[string]string{}}
	b.scan()
	b.layLanes()
	for i := range evs {
		b.event(i)
	}
	b.finishArrows()
	tl.collapse(false)
	if tl.visible() > maxRows {
		tl.summarizeRoutineJobs(b.prefix)
	}
	if tl.visible() > maxRows {
		tl.collapse(true)
	}
	tl.budget(maxRows)
	return tl
}

// tlBuilder holds what buildTimeline learns from a history while it draws
// the rows.
type tlBuilder struct {
	tl     *timeline
	evs    []sim.Event
	ledger []ledger.Delivery
	t0     time.Time
	ops    *sim.Ops // the history's exchanges: requests paired with answers

	// From scan.
	hostLink   map[string]string // proxy listen address → "node1" | "shared"
	jobByPath  map[string]string
	nodes      map[string]bool
	sessionJob map[string]string
	hasApp     bool
	hasLB      bool

	// Lanes, from layLanes.
	lbLane, appLane int

	// While drawing.
	exs        map[*sim.Exchange]*exchange
	started    map[string]bool // nodes that started once: a second start is a restart
	deliveries int
}

// scan finds the jobs, the proxies' listen addresses, the nodes and
// whether the run had a balancer and an app.
func (b *tlBuilder) scan() {
	b.hostLink, b.jobByPath, b.nodes = map[string]string{}, map[string]string{}, map[string]bool{}
	for _, e := range b.evs {
		if e.Session != "" && e.Job != "" {
			b.sessionJob[e.Session] = e.Job
		}
		switch e.Kind {
		case sim.JobSource:
			b.tl.jobs = append(b.tl.jobs, e.Job)
			b.jobByPath[urlPath(e.URL)] = e.Job
		case sim.LinkChanged:
			if e.Link == sim.LinkAdded && e.Listen != "" {
				b.hostLink[e.Listen] = e.Node
				if e.Node == "shared" {
					b.hasLB = true
				}
			}
		case sim.BalancerRoute:
			b.hasLB = true
		case sim.NodeStarted, sim.NodeCrashed, sim.PacketReceived:
			if e.Node != "" {
				b.nodes[e.Node] = true
			}
		case sim.NotifySent, sim.AppDelivery, sim.AppCrashed:
			b.hasApp = true
		}
	}
}

// layLanes orders the lanes: clients (one per job up to six), balancer,
// nodes, app.
func (b *tlBuilder) layLanes() {
	tl := b.tl
	if len(tl.jobs) <= 6 {
		for _, j := range tl.jobs {
			tl.addLane(j, strings.TrimPrefix(j, "job-"), laneClient)
		}
	}
	if len(tl.jobs) > 6 || len(tl.jobs) == 0 {
		tl.addLane("clients", "clients ("+plural(len(tl.jobs), "job")+")", laneClient)
	}
	if b.hasLB {
		tl.addLane("lb", "balancer", laneBalancer)
	}
	var nodeNames []string
	for n := range b.nodes {
		nodeNames = append(nodeNames, n)
	}
	sort.Slice(nodeNames, func(i, j int) bool { return naturalLess(nodeNames[i], nodeNames[j]) })
	for _, n := range nodeNames {
		tl.addLane(n, n, laneNode)
	}
	if b.hasApp || len(b.ledger) > 0 {
		tl.addLane("app", "app", laneApp)
	}
	b.lbLane = b.laneOr("lb", -1)
	b.appLane = b.laneOr("app", len(tl.lanes)-1)
}

func (b *tlBuilder) clientLane(job string) int {
	if i, ok := b.tl.byName[job]; ok {
		return i
	}
	return b.tl.byName["clients"]
}

func (b *tlBuilder) laneOr(name string, def int) int {
	if i, ok := b.tl.byName[name]; ok {
		return i
	}
	return def
}

// targetLane is the lane a request to u went to: the node or balancer
// behind the proxy listening at u's host.
func (b *tlBuilder) targetLane(u string) int {
	if pu, err := url.Parse(u); err == nil {
		if l, ok := b.hostLink[pu.Host]; ok {
			if l == "shared" && b.lbLane >= 0 {
				return b.lbLane
			}
			if i, ok := b.tl.byName[l]; ok {
				return i
			}
		}
	}
	if b.lbLane >= 0 {
		return b.lbLane
	}
	return b.laneOr("node1", len(b.tl.lanes)-1)
}

// prefix names a job in labels drawn on the shared clients lane.
func (b *tlBuilder) prefix(job string) string {
	if _, own := b.tl.byName[job]; own || job == "" {
		return ""
	}
	return strings.TrimPrefix(job, "job-") + ": "
}

func (b *tlBuilder) add(e sim.Event, r *row) *row {
	r.seq, r.at = e.Seq, e.At.Sub(b.t0)
	if r.title == "" {
		r.title = fmt.Sprintf("#%d %s", e.Seq, e.Kind)
	}
	b.tl.rows = append(b.tl.rows, r)
	return r
}

// event draws the history's i-th event, if it is drawn at all.
func (b *tlBuilder) event(i int) {
	e := b.evs[i]
	switch e.Kind {
	case sim.ClientRequest:
		b.request(i)
	case sim.ClientResponse, sim.ClientError:
		b.answer(i)
	case sim.NotifySent, sim.NotifyAnswered, sim.AppDelivery, sim.AppCrashed, sim.AppRestarted:
		b.appEvent(e)
	case sim.NotifyCached, sim.NodeCrashed, sim.NodeStarted, sim.SessionDoomed, sim.SessionExpired, sim.RequestRejected, sim.FaultFired:
		b.nodeEvent(e)
	case sim.ClientSession, sim.ClientHostID, sim.ClientTimerFired, sim.JobDone:
		b.clientEvent(e)
	}
}

// request draws a client request, its arrow pointed at where it went until
// finishArrows knows which node received it.
func (b *tlBuilder) request(i int) {
	e, x := b.evs[i], b.ops.At(i)
	ex := &exchange{job: e.Job, packet: e.Packet, target: b.targetLane(e.URL), first: e.First, last: e.Last}
	if x.Received != nil {
		ex.node = x.Received.Node
	}
	b.exs[x] = ex
	ex.req = b.add(e, &row{kind: rowArrow, from: b.clientLane(e.Job), label: b.prefix(e.Job) + packetLabel(e), class: "req", job: e.Job, ex: ex,
		title: fmt.Sprintf("#%d %s %s %s", e.Seq, e.Job, e.Packet, e.URL)})
}

// answer draws what a client got back: an Ack, a resync, an error Ack or
// a transport error.
func (b *tlBuilder) answer(i int) {
	e, x := b.evs[i], b.ops.At(i)
	ex := b.exs[x]
	if ex == nil { // an answer whose request is not in the history
		ex = &exchange{job: e.Job, packet: e.Packet, target: b.targetLane(e.URL)}
	}
	r := &row{kind: rowArrow, to: b.clientLane(e.Job), job: e.Job, ex: ex}
	if e.Kind == sim.ClientError {
		ex.failed = true
		r.class, r.prio = "err", prioNotable
		r.label = "✕ " + shortErr(e.Err)
		r.title = fmt.Sprintf("#%d %s %s: %s", e.Seq, e.Job, e.Packet, e.Err)
	} else {
		ex.offset = e.Offset
		r.label = responseLabel(e)
		switch {
		case x.Outcome != sim.OutcomeOK:
			ex.failed, r.class, r.prio = true, "err", prioNotable
		case e.Status == 416:
			ex.ok, r.class, r.prio = true, "resync", prioNotable
		default:
			ex.ok, r.class = true, "ack"
		}
		r.title = fmt.Sprintf("#%d %s %s: %d %s %s", e.Seq, e.Job, e.Packet, e.Status, e.Code, e.Context)
	}
	r.label = b.prefix(e.Job) + r.label
	ex.respLabel = r.label
	ex.resp = b.add(e, r)
}

// appEvent draws notifications, answers and the app's own events.
func (b *tlBuilder) appEvent(e sim.Event) {
	switch e.Kind {
	case sim.NotifySent:
		b.add(e, &row{kind: rowArrow, from: b.laneOr(e.Node, 0), to: b.appLane, label: "notify (" + orDefault(e.Notification, "reference") + ")",
			class: "notify", prio: prioNotify, job: b.sessionJob[e.Session]})
	case sim.NotifyAnswered:
		l := "answer " + strconv.Itoa(e.Status)
		if e.Err != "" {
			l = "✕ " + shortErr(e.Err)
		}
		if e.Reason == sim.ReasonOrphaned {
			l += " (orphaned: node had died)"
		}
		b.add(e, &row{kind: rowArrow, from: b.appLane, to: b.laneOr(e.Node, 0), label: l, class: "answer", prio: prioNotify, job: b.sessionJob[e.Session]})
	case sim.AppDelivery:
		b.delivery(e)
	case sim.AppCrashed:
		b.add(e, &row{kind: rowMarker, lane: b.appLane, label: "app crashed at " + e.Point, class: "crash", prio: prioCritical})
	case sim.AppRestarted:
		b.add(e, &row{kind: rowMarker, lane: b.appLane, label: "app restarted", class: "restart", prio: prioCritical})
	}
}

// delivery numbers a delivery on the app's lane, in red if the ledger
// says it was a duplicate.
func (b *tlBuilder) delivery(e sim.Event) {
	b.deliveries++
	n := b.deliveries
	l := fmt.Sprintf("#%d delivered from %s", n, e.Node)
	cls, prio := "dlv", prioNotable
	if n-1 < len(b.ledger) {
		d := b.ledger[n-1]
		if d.Duplicate {
			cls, prio = "dup", prioCritical
			l = fmt.Sprintf("#%d DUPLICATE from %s", n, e.Node)
		}
		if d.Effect {
			l += ", effect applied"
		} else {
			l += ", no effect"
		}
	}
	b.add(e, &row{kind: rowMarker, lane: b.appLane, label: l, class: cls, prio: prio, deliv: n, job: b.jobByPath[urlPath(e.URL)]})
}

// nodeEvent draws crashes, restarts, expiries, rejections and faults.
func (b *tlBuilder) nodeEvent(e sim.Event) {
	lane := b.laneOr(e.Node, 0)
	switch e.Kind {
	case sim.NotifyCached:
		b.add(e, &row{kind: rowMarker, lane: lane, label: "answered from the notify cache", class: "note", prio: prioNotable})
	case sim.NodeCrashed:
		l := e.Node + " crashed"
		if e.Point != "" {
			l += " at " + e.Point
		}
		b.add(e, &row{kind: rowMarker, lane: lane, label: l, class: "crash", prio: prioCritical, downFrom: true})
	case sim.NodeStarted:
		if b.started[e.Node] {
			b.add(e, &row{kind: rowMarker, lane: lane, label: fmt.Sprintf("%s restarted (restored %d sessions)", e.Node, e.Count), class: "restart", prio: prioCritical, downTo: true})
		}
		b.started[e.Node] = true
	case sim.SessionDoomed:
		b.add(e, &row{kind: rowMarker, lane: lane, label: "session doomed (" + string(e.Reason) + "): dropped when its packet is done", class: "note", prio: prioNotable})
	case sim.SessionExpired:
		b.add(e, &row{kind: rowMarker, lane: lane, label: "session expired (" + string(e.Reason) + ")", class: "note", prio: prioNotable})
	case sim.RequestRejected:
		b.add(e, &row{kind: rowMarker, lane: lane, label: "rejected: " + orDefault(string(e.Reason), e.Err), class: "note", prio: prioNotable})
	case sim.FaultFired:
		l := "⚡ fault " + e.Fault + ": " + e.Action
		if e.Err != "" {
			l += " (failed: " + e.Err + ")"
		}
		b.add(e, &row{kind: rowFault, label: l, class: "fault", prio: prioCritical, title: fmt.Sprintf("#%d fault %s fired (%s)", e.Seq, e.Fault, e.Trigger)})
	}
}

// clientEvent draws a job's restarts, host changes and end.
func (b *tlBuilder) clientEvent(e sim.Event) {
	lane, pre := b.clientLane(e.Job), b.prefix(e.Job)
	switch {
	case e.Kind == sim.ClientSession && e.Step == sim.StepRestarted:
		b.add(e, &row{kind: rowMarker, lane: lane, label: pre + "new session: upload restarts from byte 0", class: "crash", prio: prioCritical, job: e.Job})
	case e.Kind == sim.ClientHostID:
		b.add(e, &row{kind: rowMarker, lane: lane, label: pre + "uses " + hostIDLabel(e), class: "note", job: e.Job})
	case e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerHostFallback:
		b.add(e, &row{kind: rowMarker, lane: lane, label: pre + "host-id fallback after " + e.Duration.String() + ": back to the shared address",
			class: "crash", prio: prioCritical, job: e.Job})
	case e.Kind == sim.JobDone:
		cls, prio := "note", prioNormal
		if e.State != "ACKNOWLEDGED" && e.State != "TRANSFERRED" {
			cls, prio = "crash", prioCritical
		}
		l := "job done: " + e.State
		if e.Err != "" {
			l += " (" + e.Err + ")"
		}
		b.add(e, &row{kind: rowMarker, lane: lane, label: pre + l, class: cls, prio: prio, job: e.Job})
	}
}

// hostIDLabel says which host a client.hostid event switched to.
func hostIDLabel(e sim.Event) string {
	if e.Step == sim.StepFallback {
		return "fallback to the original host"
	}
	return "host-id " + e.HostID
}

// finishArrows points every request at the node that received it (or
// where it was sent, if none did) and every answer back from there.
func (b *tlBuilder) finishArrows() {
	for _, r := range b.tl.rows {
		if r.ex == nil {
			continue
		}
		dst := r.ex.target
		if r.ex.node != "" {
			dst = b.laneOr(r.ex.node, dst)
		}
		if r == r.ex.req {
			r.to = dst
			r.viaLB, r.crossLB = b.lbLane >= 0 && r.ex.target == b.lbLane && dst != b.lbLane, b.lbLane
		} else {
			r.from = dst
		}
	}
}

func (tl *timeline) addLane(name, label string, k laneKind) {
	tl.byName[name] = len(tl.lanes)
	tl.lanes = append(tl.lanes, lane{name: name, label: label, kind: k})
}

func (tl *timeline) visible() int {
	n := 0
	for _, r := range tl.rows {
		if !r.hidden {
			n++
		}
	}
	return n
}

// collapse merges runs of similar exchanges of one job into one summary
// row: successful Fragments to the same node (3 or more), and repeated
// identical failures (retry storms). dense also merges any run of two or
// more successful exchanges to the same node.
func (tl *timeline) collapse(dense bool) {
	runs := map[string]*exRun{}
	flush := func(job string) {
		runs[job].fold(dense)
		delete(runs, job)
	}
	inflight := map[*exchange]bool{}
	for _, rw := range tl.rows {
		if rw.hidden {
			continue
		}
		switch {
		case rw.ex != nil && rw == rw.ex.req:
			inflight[rw.ex] = true
			continue
		case rw.ex != nil && rw == rw.ex.resp:
			ex := rw.ex
			delete(inflight, ex)
			if ex.req == nil || ex.straddles {
				flush(ex.job)
				continue
			}
			key := ""
			switch {
			case ex.ok && rw.class != "resync" && (ex.packet == "Fragment" || dense):
				key = fmt.Sprintf("ok|%d", rw.from)
				if !dense {
					key += "|" + ex.packet
				}
			case ex.failed:
				key = fmt.Sprintf("fail|%s|%d|%d", ex.packet, ex.req.to, rw.from)
			}
			if r := runs[ex.job]; r == nil || r.key != key || key == "" {
				flush(ex.job)
				if key != "" {
					runs[ex.job] = &exRun{key: key}
				}
			}
			if r := runs[ex.job]; r != nil {
				r.exs = append(r.exs, ex)
			}
			continue
		}
		// Any other row: a barrier for its job (or all jobs when critical).
		if rw.prio == prioCritical || rw.job == "" && rw.kind == rowFault {
			for job := range runs {
				flush(job)
			}
			for ex := range inflight {
				ex.straddles = true
			}
		} else if rw.job != "" {
			flush(rw.job)
			for ex := range inflight {
				if ex.job == rw.job {
					ex.straddles = true
				}
			}
		}
	}
	for job := range runs {
		flush(job)
	}
}

// exRun is a run of similar exchanges of one job.
type exRun struct {
	key string
	exs []*exchange
}

// fold draws the run as one summary row at its first request, if it is
// long enough (3 exchanges, 2 when dense); r may be nil.
func (r *exRun) fold(dense bool) {
	least := 3
	if dense {
		least = 2
	}
	if r == nil || len(r.exs) < least {
		return
	}
	head := r.exs[0].req
	for _, ex := range r.exs {
		ex.req.hidden, ex.resp.hidden = true, true
	}
	head.hidden, head.both = false, true
	head.label, head.class, head.prio = summaryLabel(r.exs, dense), "sum", r.exs[0].resp.prio
	if r.exs[0].failed {
		head.class = "sumerr"
	}
	head.title = fmt.Sprintf("#%d–#%d: %d exchanges", r.exs[0].req.seq, r.exs[len(r.exs)-1].resp.seq, len(r.exs))
}

// summarizeRoutineJobs draws each job whose history holds nothing notable
// (no error, resync, restart, duplicate) as one row at its first request:
// busy runs (many clients) keep the jobs worth reading in full.
func (tl *timeline) summarizeRoutineJobs(prefix func(string) string) {
	rows := map[string][]*row{}
	notable := map[string]bool{}
	var order []string
	for _, r := range tl.rows {
		if r.job == "" {
			continue
		}
		if _, ok := rows[r.job]; !ok {
			order = append(order, r.job)
		}
		rows[r.job] = append(rows[r.job], r)
		switch {
		case r.prio == prioCritical, r.class == "err", r.class == "resync", r.class == "sumerr", r.class == "dup":
			notable[r.job] = true
		}
	}
	for _, job := range order {
		rs := rows[job]
		if notable[job] {
			continue
		}
		var head *row
		var packets, nodes []string
		var dl []string
		seenNode := map[int]bool{}
		var last *exchange
		for _, r := range rs {
			if r.ex != nil && r == r.ex.req {
				if head == nil {
					head = r
				}
				packets = append(packets, r.ex.packet)
				if !seenNode[r.to] {
					seenNode[r.to] = true
					nodes = append(nodes, tl.lanes[r.to].label)
				}
				last = r.ex
			}
			if r.deliv > 0 {
				dl = append(dl, "#"+strconv.Itoa(r.deliv))
			}
		}
		if head == nil {
			continue
		}
		for _, r := range rs {
			r.hidden = true
		}
		label := prefix(job) + compactPackets(packets) + " with " + strings.Join(nodes, ", ") + " — all acked"
		if last != nil && last.packet == "Close-Session" {
			label = prefix(job) + compactPackets(packets) + " with " + strings.Join(nodes, ", ") + " — all acked, closed"
		}
		if len(dl) > 0 {
			label += "; delivery " + strings.Join(dl, ", ")
		}
		head.hidden, head.both, head.class, head.label = false, true, "sum", label
		head.title = fmt.Sprintf("#%d…: job %s, %d exchanges, nothing notable", head.seq, job, len(packets))
	}
}

// compactPackets lists packet types, runs counted: "Create-Session, Ping, 2× Fragment, Close-Session".
func compactPackets(ps []string) string {
	var out []string
	for i := 0; i < len(ps); {
		j := i
		for j < len(ps) && ps[j] == ps[i] {
			j++
		}
		if j-i > 1 {
			out = append(out, fmt.Sprintf("%d× %s", j-i, ps[i]))
		} else {
			out = append(out, ps[i])
		}
		i = j
	}
	return strings.Join(out, ", ")
}

// summaryLabel describes a collapsed run of exchanges.
func summaryLabel(exs []*exchange, dense bool) string {
	job := exs[0].job
	pre := ""
	if exs[0].req != nil {
		if i := strings.Index(exs[0].req.label, ": "); i >= 0 && strings.HasPrefix(exs[0].req.label, strings.TrimPrefix(job, "job-")+": ") {
			pre = exs[0].req.label[:i+2]
		}
	}
	span := ""
	if a, b := exs[0].req.at, exs[len(exs)-1].resp.at; b > a {
		span = fmt.Sprintf(" (%s … %s)", offset(a), offset(b))
	}
	if exs[0].failed {
		count := map[string]int{}
		var kinds []string
		for _, ex := range exs {
			l := strings.TrimPrefix(strings.TrimPrefix(ex.respLabel, pre), "✕ ")
			if count[l] == 0 {
				kinds = append(kinds, l)
			}
			count[l]++
		}
		sort.SliceStable(kinds, func(i, j int) bool { return count[kinds[i]] > count[kinds[j]] })
		var parts []string
		for _, k := range kinds {
			if len(kinds) == 1 {
				parts = append(parts, k)
			} else {
				parts = append(parts, fmt.Sprintf("%s ×%d", k, count[k]))
			}
		}
		return fmt.Sprintf("%s%d× %s failed: %s%s", pre, len(exs), exs[0].packet, strings.Join(parts, ", "), span)
	}
	var frags []*exchange
	var parts []string
	for _, ex := range exs {
		if ex.packet == "Fragment" {
			frags = append(frags, ex)
			continue
		}
		if len(frags) > 0 {
			parts = append(parts, fragSummary(frags))
			frags = nil
		}
		parts = append(parts, ex.packet)
	}
	if len(frags) > 0 {
		parts = append(parts, fragSummary(frags))
	}
	last := exs[len(exs)-1]
	tail := "all acked"
	if last.packet == "Fragment" {
		tail = "acked to " + strconv.FormatInt(last.offset, 10)
	}
	return pre + strings.Join(parts, ", ") + " — " + tail + span
}

func fragSummary(fs []*exchange) string {
	first, last := fs[0].first, fs[0].last
	for _, f := range fs {
		first, last = min(first, f.first), max(last, f.last)
	}
	if len(fs) == 1 {
		return fmt.Sprintf("Fragment %d–%d", first, last)
	}
	return fmt.Sprintf("Fragments %d–%d (%d packets)", first, last, len(fs))
}

// budget hides rows beyond max, lowest priorities first, and marks the
// holes with gap rows.
func (tl *timeline) budget(maxRows int) {
	count := func(p int) int {
		n := 0
		for _, r := range tl.rows {
			if !r.hidden && r.prio >= p {
				n++
			}
		}
		return n
	}
	if count(prioNormal) <= maxRows {
		return
	}
	p := prioNormal + 1
	for p < prioCritical && count(p) > maxRows {
		p++
	}
	room := maxRows - count(p)
	for _, r := range tl.rows {
		if r.hidden || r.prio >= p {
			continue
		}
		if r.prio == p-1 && room > 0 {
			room--
			continue
		}
		r.hidden = true
		r.kind = "dropped"
	}
	// Insert gap rows where dropped rows were.
	var out []*row
	gap := 0
	var gapAt *row
	for _, r := range tl.rows {
		if r.kind == "dropped" {
			if gap == 0 {
				gapAt = r
			}
			gap++
			continue
		}
		if r.hidden {
			out = append(out, r)
			continue
		}
		if gap > 0 {
			out = append(out, &row{kind: rowGap, seq: gapAt.seq, at: gapAt.at, label: "⋯ " + plural(gap, "event") + " not drawn (routine exchanges; see history.json)", class: "gap"})
			gap = 0
		}
		out = append(out, r)
	}
	if gap > 0 {
		out = append(out, &row{kind: rowGap, seq: gapAt.seq, at: gapAt.at, label: "⋯ " + plural(gap, "event") + " not drawn (routine exchanges; see history.json)", class: "gap"})
	}
	tl.rows = out
}

// Geometry of the diagram.
const (
	tlRowH   = 22
	tlTop    = 58
	tlTimeW  = 92
	tlRightW = 290
)

// svgGeom places lanes and rows.
type svgGeom struct {
	gap    float64 // between lanes
	bottom float64 // of the lanes
}

func (g svgGeom) x(lane int) float64 { return tlTimeW + 70 + float64(lane)*g.gap }
func (g svgGeom) y(row int) float64  { return float64(tlTop + row*tlRowH + tlRowH/2) }

// svg renders the timeline.
func (tl *timeline) svg(b *strings.Builder, title string) {
	g := svgGeom{gap: 150.0}
	if n := len(tl.lanes); n > 7 {
		g.gap = max(112, 1050/float64(n))
	}
	var vis []*row
	for _, r := range tl.rows {
		if !r.hidden {
			vis = append(vis, r)
		}
	}
	width := g.x(len(tl.lanes)-1) + tlRightW
	height := float64(tlTop + len(vis)*tlRowH + 24)
	if len(vis) == 0 {
		height += tlRowH
	}
	g.bottom = height - 12
	fmt.Fprintf(b, `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		width, height, width, height, esc(title))
	tl.svgDown(b, g, vis)
	tl.svgLanes(b, g)
	if len(vis) == 0 {
		fmt.Fprintf(b, `<text class="note" x="%.0f" y="%.0f">no history recorded</text>`, g.x(0), g.y(0))
	}
	lastAt := time.Duration(-1)
	for i, r := range vis {
		if r.at != lastAt {
			fmt.Fprintf(b, `<text class="t" x="6" y="%.0f">%s</text>`, g.y(i)+4, esc(offset(r.at)))
			lastAt = r.at
		}
		b.WriteString(`<g><title>`)
		b.WriteString(esc(r.title))
		b.WriteString(`</title>`)
		tl.svgRow(b, g, r, g.y(i))
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
}

// svgDown hatches node lanes while the node is down.
func (tl *timeline) svgDown(b *strings.Builder, g svgGeom, vis []*row) {
	downStart := map[int]float64{}
	for i, r := range vis {
		if r.downFrom {
			downStart[r.lane] = g.y(i)
		}
		if r.downTo {
			if s, ok := downStart[r.lane]; ok {
				fmt.Fprintf(b, `<rect class="down" x="%.0f" y="%.0f" width="14" height="%.0f"/>`, g.x(r.lane)-7, s, g.y(i)-s)
				delete(downStart, r.lane)
			}
		}
	}
	for l, s := range downStart {
		fmt.Fprintf(b, `<rect class="down" x="%.0f" y="%.0f" width="14" height="%.0f"/>`, g.x(l)-7, s, g.bottom-s)
	}
}

// svgLanes draws the lanes and their heads.
func (tl *timeline) svgLanes(b *strings.Builder, g svgGeom) {
	for i, l := range tl.lanes {
		fmt.Fprintf(b, `<line class="lane" x1="%.0f" y1="40" x2="%.0f" y2="%.0f"/>`, g.x(i), g.x(i), g.bottom)
		w := max(70, 7.2*float64(len([]rune(l.label)))+14)
		fmt.Fprintf(b, `<rect class="lanehead k%d" x="%.0f" y="14" width="%.0f" height="24" rx="5"/><text class="lanelbl" x="%.0f" y="30">%s</text>`,
			l.kind, g.x(i)-w/2, w, g.x(i), esc(l.label))
	}
	fmt.Fprintf(b, `<text class="tcol" x="6" y="30">protocol time</text>`)
}

// svgRow draws one visible row at height yy.
func (tl *timeline) svgRow(b *strings.Builder, g svgGeom, r *row, yy float64) {
	switch r.kind {
	case rowArrow:
		svgArrow(b, g, r, yy)
	case rowMarker:
		cx := g.x(r.lane)
		switch r.class {
		case "crash":
			fmt.Fprintf(b, `<line class="xbar" x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f"/><path class="x" d="M%.0f %.0fl10 10m0 -10l-10 10"/>`,
				cx-g.gap/3, yy, cx+6, yy, cx-5, yy-5)
		case "restart":
			fmt.Fprintf(b, `<line class="rbar" x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f"/><circle class="r" cx="%.0f" cy="%.0f" r="5"/>`,
				cx-g.gap/3, yy, cx+6, yy, cx, yy)
		case "dlv", "dup":
			fmt.Fprintf(b, `<circle class="%s" cx="%.0f" cy="%.0f" r="9"/><text class="dn" x="%.0f" y="%.0f">%d</text>`, r.class, cx, yy, cx, yy+4, r.deliv)
		default:
			fmt.Fprintf(b, `<circle class="n" cx="%.0f" cy="%.0f" r="3.5"/>`, cx, yy)
		}
		fmt.Fprintf(b, `<text class="l m%s" x="%.0f" y="%.0f">%s</text>`, r.class, cx+12, yy+4, esc(r.label))
	case rowFault:
		fmt.Fprintf(b, `<line class="fault" x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f"/>`, g.x(0)-40, yy, g.x(len(tl.lanes)-1)+40, yy)
		fmt.Fprintf(b, `<text class="l mfault" x="%.0f" y="%.0f">%s</text>`, g.x(0)-36, yy-4, esc(r.label))
	case rowGap:
		fmt.Fprintf(b, `<text class="l gap" x="%.0f" y="%.0f">%s</text>`, g.x(0), yy+4, esc(r.label))
	}
}

// svgArrow draws an exchange arrow with its label.
func svgArrow(b *strings.Builder, g svgGeom, r *row, yy float64) {
	x1, x2 := g.x(r.from), g.x(r.to)
	if r.from == r.to {
		x2 = x1 + 30
	}
	dir := 1.0
	if x2 < x1 {
		dir = -1
	}
	marker, start := "ah-"+r.class, ""
	switch r.class {
	case "sum":
		start = ` marker-start="url(#as-ack)"`
	case "sumerr":
		marker, start = "ah-err", ` marker-start="url(#as-req)"`
	}
	fmt.Fprintf(b, `<line class="a %s" x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" marker-end="url(#%s)"%s/>`,
		r.class, x1+dir*3, yy, x2-dir*4, yy, marker, start)
	if r.viaLB && r.crossLB >= 0 {
		fmt.Fprintf(b, `<circle class="via" cx="%.0f" cy="%.0f" r="3.5"/>`, g.x(r.crossLB), yy)
	}
	lx, anchor := (x1+x2)/2, "middle"
	if w := 6.2 * float64(len([]rune(r.label))); w > 0.95*math.Abs(x2-x1) {
		// Too long to fit between the lanes: start it at the left end.
		lx, anchor = min(x1, x2)+6, "start"
	}
	fmt.Fprintf(b, `<text class="l %s" x="%.0f" y="%.0f" text-anchor="%s">%s</text>`, r.class, lx, yy-4, anchor, esc(r.label))
}

// packetLabel names a request: "Fragment 0–65535", "Create-Session".
func packetLabel(e sim.Event) string {
	if strings.EqualFold(e.Packet, "Fragment") && (e.Last > 0 || e.Total > 0) {
		return fmt.Sprintf("Fragment %d–%d", e.First, e.Last)
	}
	if e.Packet == "" {
		return e.Method
	}
	return e.Packet
}

// responseLabel describes an Ack as the client saw it.
func responseLabel(e sim.Event) string {
	switch {
	case e.Status == 416:
		return fmt.Sprintf("416 resync → %d", e.Offset)
	case e.Status < 300 && strings.EqualFold(e.Packet, "Fragment"):
		return fmt.Sprintf("Ack %d", e.Offset)
	case e.Status < 300:
		return fmt.Sprintf("Ack %d", e.Status)
	}
	s := strconv.Itoa(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Context != "" {
		s += " ctx " + e.Context
	}
	return s
}

// shortErr keeps the last part of a Go error chain: "connection refused".
func shortErr(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func urlPath(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Path == "" {
		return s
	}
	return u.Path
}

// naturalLess orders "node2" before "node10".
func naturalLess(a, b string) bool {
	ta, na := splitNum(a)
	tb, nb := splitNum(b)
	if ta != tb {
		return ta < tb
	}
	return na < nb
}

func splitNum(s string) (string, int) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	n, _ := strconv.Atoi(s[i:])
	return s[:i], n
}

// esc escapes text for HTML and SVG.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
