// Package faults is bitsim's fault vocabulary: the crash points of a node
// and of the app, where scheduled faults strike.
package faults
