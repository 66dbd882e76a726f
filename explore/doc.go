// Package explore searches fault schedules for invariant violations and
// shrinks each failure to a small scenario that reproduces it.
//
// A run of the explorer draws, for each of N runs, a topology (unless the
// caller fixes it) and a fault schedule from a grammar (Draw) that covers
// every fault action registered in package faults, every link class (the
// client's link to the shared address, to a node's own host-id address, and
// a node's link to the app) in both directions, every crash point and every
// trigger kind (crash point, event, protocol time, bytes on a link). The
// draws are biased toward faults that can bite in the drawn topology: a
// client link toxic goes on the link that carries the upload (a node's own
// link in a host-id farm, the shared one otherwise), fragment counts in
// triggers stay within the file, links and toxics that would stall an
// upload for good are healed.
//
// Each drawn scenario is played on the exact tier (package scenarios), so
// a run is a function of its seed, and judged by the invariants
// (Invariants): integrity, at-least-once, no lost completed upload,
// no orphan on disk, exactly-once-effect, and the run completing at all,
// plus any checker the caller names. A distinct failure (same invariant,
// same cause-chain shape) is shrunk (Shrink) greedily and by delta
// debugging — fewer faults, fewer jobs and nodes, smaller files, simpler
// triggers, earlier times — re-running every candidate, and written as an
// ordinary scenario YAML that `bitsim run -f` reproduces.
//
// A run that does not end within a wall-time bound is judged hung
// (RunCompletes) and abandoned: on the exact tier a goroutine blocked on a
// mutex stops the bubble's clock without the bubble seeing a deadlock.
//
// Exhaustive enumerates every single fault (and, for K = 2, every ordered
// pair) of a small scope instead of drawing them; Rates measures duplicate
// deliveries and effects per fault class for both app modes on the same
// seeds.
package explore
