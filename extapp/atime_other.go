//go:build !linux

package extapp

import "time"

// accessTime is not implemented here: the read check is off.
func accessTime(string) (time.Time, bool) { return time.Time{}, false }
