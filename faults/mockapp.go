package faults

import "strings"

// NeedsMockApp reports whether a acts on the mock application
// (app-latency, app-reply-delay, app-status, app-crash, app-restart): an
// external application cannot be made to do these, so a scenario using
// them is skipped against one.
func NeedsMockApp(a Action) bool { return strings.HasPrefix(a.Kind(), "app-") }
