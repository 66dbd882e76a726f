// Package farm holds bitsim's BITS upload servers: the Node, one IIS-like
// BITS server extension serving one virtual directory with durable
// sessions, notification of the server application, crash points and
// cleanup; and, around nodes, the web farm (the connection-level Balancer
// and, later, the fault injector).
//
// A Node speaks the upload protocol of the digest
// (shared/spec/bits-upload-protocol.md; § numbers in comments refer to it):
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
// Concurrency: every Node method is safe for concurrent use; the packets of
// one session are processed one at a time.
package farm
