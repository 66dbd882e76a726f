// Package farm is bitsim's web-farm topology: the Farm puts BITS upload
// nodes (package node) on one port at consecutive loopback addresses, so
// BITS-Host-Id stays a bare host, behind a connection-level balancer
// (package balancer) on the shared address, with a mock application
// (package app) and a toxiproxy link on every path (package proxy); it
// kills, restarts, takes down and brings up nodes; and the fault Injector
// applies a faults.Schedule at exact protocol points, through the
// faults.Target the farm offers its fault actions (target.go).
//
//	f, _ := farm.New(ctx, farm.Config{Nodes: 3, HostID: true, Clock: clock, Events: hist})
//	defer f.Close()
//	f.Inject(faults.Schedule{{Trigger: faults.AtPoint{Point: faults.AfterNotifySent, Node: "node1"},
//		Action: &faults.Kill{}}})
//	job, _ := client.NewJob(client.Options{Clock: clock, Events: f.Events()},
//		client.JobSpec{LocalFile: path, RemoteURL: f.UploadURL("a.bin")})
//	res, _ := job.Run(ctx)
//
// # Who owns what
//
// The farm owns the topology: which nodes exist (slots that keep a node's
// name, address, storage and Config across restarts), the links, the
// tombstone that holds a dead node's address, and the balancer's view of
// which nodes are down. A node owns its sessions and life cycle (package
// node); the farm drives it only through node.New, Start, Kill, KillWith,
// Abort, Arm, Disarm, DropSessions, RunCleanup, Alive and Dead, and learns
// of a crash through node.Config.OnCrash. The balancer owns the spliced
// connections; the farm gives it the node addresses and calls SetDown,
// and answers its Healthy question from the node's link.
package farm
