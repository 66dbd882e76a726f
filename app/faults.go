package app

import (
	"github.com/bitsim/bitsim/internal/mutant"
	"net/http"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// Always, as a times argument, arms a fault for every notification until it
// is cleared (any times <= 0 means the same).
const Always = 0

// behaviour is the runtime-settable behaviour, guarded by App.mu.
type behaviour struct {
	reply      bool
	replyBody  bool
	staticURL  string
	copyToDest bool

	latency    time.Duration
	replyDelay time.Duration

	status           int
	statusTimes      int // >0: remaining; <=0: every notification
	statusAfterApply bool

	crashPoint CrashPoint
	crashTimes int // >0: remaining; <=0: every notification
	stayDown   bool
	down       bool
}

// SetReply switches the upload-reply on (ReplyFor) or off (plain upload).
func (a *App) SetReply(on bool) { a.with(func(f *behaviour) { f.reply = on }) }

// SetReplyBodyByReference also returns the reply as the body by reference.
func (a *App) SetReplyBodyByReference(on bool) { a.with(func(f *behaviour) { f.replyBody = on }) }

// SetStaticResponseURL sets (or with "" clears) BITS-Static-Response-URL;
// see Config.StaticResponseURL.
func (a *App) SetStaticResponseURL(u string) { a.with(func(f *behaviour) { f.staticURL = u }) }

// SetCopyFileToDestination adds or removes BITS-Copy-File-To-Destination.
func (a *App) SetCopyFileToDestination(on bool) { a.with(func(f *behaviour) { f.copyToDest = on }) }

// SetLatency makes every notification take d of protocol time after the
// upload was read and recorded, before the effect: a slow app. If the
// notifier gives up (request context ends) or the app closes meanwhile,
// the delivery stays in the ledger with no effect and no answer
// (Dropped "abandoned ..."). 0 removes it.
func (a *App) SetLatency(d time.Duration) { a.with(func(f *behaviour) { f.latency = d }) }

// SetReplyDelay makes every notification wait d of protocol time after the
// effect was applied (and the reply file written), before the answer: an
// app that does the work but answers late (§14 case 7: the node times out
// although the effect happened). The wait honours the request context.
func (a *App) SetReplyDelay(d time.Duration) { a.with(func(f *behaviour) { f.replyDelay = d }) }

// SetStatus makes the app answer code to the next times notifications
// (times <= 0: every one until cleared), rejecting them: the delivery is
// recorded with Status code, no effect is applied, no reply is produced,
// and in Idempotent mode the key stays unapplied so a retry is processed.
// A code of 0 or 200 clears the fault. The status is decided after any
// latency, once per notification.
func (a *App) SetStatus(code, times int) { a.setStatus(code, times, false) }

// SetStatusAfterEffect is SetStatus for an app that applies the effect and
// then answers code anyway (it did the work but reported failure), so a
// naive app sees a duplicate effect when the node retries.
func (a *App) SetStatusAfterEffect(code, times int) { a.setStatus(code, times, true) }

func (a *App) setStatus(code, times int, after bool) {
	if code == http.StatusOK {
		code = 0
	}
	a.with(func(f *behaviour) { f.status, f.statusTimes, f.statusAfterApply = code, times, after })
}

// SetCrash arms point for the next times notifications that reach it
// (times <= 0: every one until cleared). CrashNone disarms.
func (a *App) SetCrash(point CrashPoint, times int) {
	a.with(func(f *behaviour) { f.crashPoint, f.crashTimes = point, times })
}

// SetStayDown chooses what a crash does to the app: with on, the app stays
// down (every notification is dropped unread) until Restart; with off, the
// crash loses only the answer in progress.
func (a *App) SetStayDown(on bool) { a.with(func(f *behaviour) { f.stayDown = on }) }

// Kill brings the app down now, as a crash outside any notification would:
// notifications are dropped unread until Restart. The ledger route keeps
// working (it is the harness's view, not the app's API).
func (a *App) Kill() {
	a.with(func(f *behaviour) { f.down = true })
	a.emit(sim.Event{Kind: sim.AppCrashed, Point: "kill"})
}

// Restart brings a down app back. The ledger, effects and de-dup table
// survive (they model durable storage). Armed faults are kept.
func (a *App) Restart() {
	a.with(func(f *behaviour) { f.down = false })
	a.emit(sim.Event{Kind: sim.AppRestarted})
}

// Down reports whether the app is down (after Kill, or a crash with
// StayDown).
func (a *App) Down() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.down
}

// ClearFaults removes latency, reply delay, status and crash faults and
// brings the app up. Reply settings are kept.
func (a *App) ClearFaults() {
	a.with(func(f *behaviour) {
		f.latency, f.replyDelay = 0, 0
		f.status, f.statusTimes, f.statusAfterApply = 0, 0, false
		f.crashPoint, f.crashTimes = CrashNone, 0
		f.down = false
	})
}

func (a *App) with(fn func(*behaviour)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(&a.f)
}

func (a *App) settings() behaviour {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f
}

// takeCrash reports whether an armed crash fires at p, consuming one count.
func (a *App) takeCrash(p CrashPoint) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p == CrashNone || a.f.crashPoint != p {
		return false
	}
	if a.f.crashTimes > 0 {
		a.f.crashTimes--
		if a.f.crashTimes == 0 {
			a.f.crashPoint = CrashNone
		}
	}
	if a.f.stayDown {
		a.f.down = true
	}
	return true
}

// takeStatus returns the injected status for this notification (0: none),
// consuming one count.
func (a *App) takeStatus() (code int, afterApply bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f.status == 0 || mutant.On("app-status-fault-noop") {
		return 0, false
	}
	code, afterApply = a.f.status, a.f.statusAfterApply
	if a.f.statusTimes > 0 {
		a.f.statusTimes--
		if a.f.statusTimes == 0 {
			a.f.status = 0
		}
	}
	return code, afterApply
}
