// Package farm holds bitsim's BITS upload servers: the Node, one IIS-like
// BITS server extension serving one virtual directory with durable
// sessions, notification of the server application, crash points and
// cleanup; and, around nodes, the web farm: the Farm (nodes on one port at
// consecutive loopback addresses so BITS-Host-Id stays a bare host, the
// connection-level Balancer behind the shared address, the mock app, and a
// toxiproxy link on every path, see package proxy) and the fault Injector
// that applies a sim.Schedule at exact protocol points.
//
// A Node speaks the upload protocol of the digest
// (docs/protocol.md; § numbers in comments refer to it):
// the five packets and their Acks (§4–§6), the fragment algorithm (§7.2),
// completion with the in-memory notify cache (§7.3), notification by
// reference or by value (§10), reply download (§11), the on-disk session
// store (§8.2) that a restarted node reloads, and the IIS properties (§9)
// and knobs K1, K2, K3 and K10 (§15) as NodeConfig fields.
//
//	n, err := farm.NewNode(farm.NodeConfig{
//		Name: "node1", Dir: dir,
//		NotificationType: farm.NotifyReference, NotificationURL: app.NotifyURL(),
//		HostID: "127.0.0.2", Clock: clock, Events: hist,
//	})
//	if err != nil { ... }
//	if err := n.Start(ctx, "127.0.0.2:8080"); err != nil { ... }
//	n.Arm(farm.AfterNotifySent, 1) // die while the app processes the upload
//	<-n.Crashed()
//	n.Kill()                          // wait for the dead node's handlers
//	n2, _ := farm.NewNode(n.Config()) // restart: sessions reload from dir
//	_ = n2.Start(ctx, "127.0.0.2:8080")
//	defer n2.Close()
//
// A farm, a schedule and a client:
//
//	f, _ := farm.New(ctx, farm.Config{Nodes: 3, HostID: true, Clock: clock, Events: hist})
//	defer f.Close()
//	f.Inject(sim.Schedule{{Trigger: sim.Trigger{Point: "after-notify-sent", Node: "node1"},
//		Action: sim.Action{Kind: sim.ActKill}}})
//	job, _ := client.NewJob(client.Options{Clock: clock, Events: f.Events()},
//		client.JobSpec{LocalFile: path, RemoteURL: f.UploadURL("a.bin")})
//	res, _ := job.Run(ctx)
//
// Concurrency: every Node method is safe for concurrent use; the packets of
// one session are processed one at a time.
package farm
