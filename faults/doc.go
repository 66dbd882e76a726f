// Package faults is bitsim's fault vocabulary: the Schedule of a run (a
// list of {trigger, action}), the trigger forms, the crash points of a
// node and of the app, and the registry of fault actions, one per file.
// It imports only sim (and yaml): saved runs decode their schedules
// without linking the farm, and the farm applies them through the small
// Target interface it implements (farm/target.go), never the other way
// round.
//
//	sched := faults.Schedule{
//		{Name: "crash", Trigger: faults.AtPoint{Point: faults.AfterNotifySent, Node: "node1"},
//			Action: &faults.Kill{RestartAfter: 10 * time.Minute}},
//		{Trigger: faults.OnEvent{Kind: sim.AckSent, Status: 408}, Action: &faults.AppLatency{}},
//	}
//	if err := sched.Validate(nil); err != nil { ... } // shape only; farm.Inject checks the topology too
//	inj, err := f.Inject(sched)
//
// In YAML and in scenario.json a fault is written
//
//	faults:
//	  - name: crash
//	    trigger: {point: after-notify-sent, node: node1}   # or event/at/bytes, or none: at once
//	    action: {kind: kill, restart_after: 10m}
//
// # Triggers
//
// AtPoint (point, node, nth), OnEvent (event, node, packet, status, nth),
// After (at) and OnBytes (bytes, link, stream); none fires at once. Crash
// point names are parsed when the schedule is decoded, once.
//
// # Writing a fault action
//
// An action is one file in this package, named after its kind (slow_disk.go
// for "slow-disk"), holding:
//
//  1. A struct whose exported fields are its parameters. Their json and
//     yaml tags (snake_case, omitempty) are the schedule's syntax: the
//     decoder refuses unknown fields, so the names are part of the API.
//     Durations are time.Duration (JSON nanoseconds, YAML "30s"); enums
//     are typed (see internal/enum) so bad values fail at decoding.
//  2. A doc comment saying what happens, from whose point of view, with a
//     one-line YAML example.
//  3. An init calling Register(kind, func() Action { return new(T) }). The
//     registry builds a fresh zero T for every decoded fault.
//  4. The Action methods, on *T:
//     - Kind returns the registered name.
//     - String is describe(kind, key, value, ...): the kind and the set
//     parameters, for events and reports.
//     - Validate(top, trigger) checks the parameters, then, when top is not
//     nil, that the nodes and links named exist (needNode, needLink).
//     Schedule.Validate(nil) runs at load time, farm.Inject runs it again
//     against the farm.
//     - Apply(firing) does it through firing.Target. Apply runs in the
//     goroutine that fired the trigger, often a node's handler that waits
//     for it: never block there, and never wait for the farm; put anything
//     that takes protocol time or waits for handlers in firing.Later,
//     which the injector tracks and stops. Use firing.Node (the action's
//     node, else the trigger's, else the triggering event's) rather than
//     your own field, and firing.Cause.Session to blame a session.
//  5. If the action is aimed at one node, TargetNode (NodeAction), so a
//     trigger without a node knows which node it concerns.
//  6. If the action needs something of the farm that Target does not
//     offer, add one method to Target (small, named for what it does, not
//     how) and implement it in farm/target.go; the farm stays the only
//     package that knows its internals.
//
// Then: a case in TestYAMLEveryAction (it fails while a registered kind is
// missing), a farm test or a scenario that shows the effect and that the
// fault fired, and a row in the README's action table. SlowDisk
// (slow_disk.go, Target.SlowDisk, node.SlowDisk, the "slow-disk-retry"
// scenario) is a complete example.
package faults
