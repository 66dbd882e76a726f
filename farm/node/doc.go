// Package node is bitsim's BITS upload server: a Node is one IIS-like BITS
// server extension serving one virtual directory, with durable sessions,
// notification of the server application, crash points and cleanup.
//
// A Node speaks the upload protocol of the digest (docs/protocol.md; §
// numbers in comments refer to it): the five packets and their Acks
// (§4–§6, serve.go, packets.go), the fragment algorithm (§7.2,
// fragment.go), completion with the in-memory notify cache (§7.3,
// complete.go, commit.go), notification by reference or by value (§10,
// notify.go), reply download (§11, reply.go), the on-disk session store
// (§8.2, session.go, store.go) that a restarted node reloads, the cleanup
// task (cleanup.go), and the IIS properties (§9) and knobs K1, K2, K3 and
// K10 (§15) as Config fields (config.go, enums.go).
//
//	n, err := node.New(node.Config{
//		Name: "node1", Dir: dir,
//		NotificationType: node.NotifyReference, NotificationURL: app.NotifyURL(),
//		HostID: "127.0.0.2", Clock: clock, Events: hist,
//	})
//	if err != nil { ... }
//	if err := n.Start(ctx, "127.0.0.2:8080"); err != nil { ... }
//	n.Arm(node.AfterNotifySent, 1) // die while the app processes the upload
//	<-n.Crashed()
//	n.Kill()                      // wait for the dead node's handlers
//	n2, _ := node.New(n.Config()) // restart: sessions reload from dir
//	_ = n2.Start(ctx, "127.0.0.2:8080")
//	defer n2.Close()
//
// # Who owns what
//
// A Node owns its listener, its sessions (in memory and under Config.Dir),
// its crash points and its life cycle. It knows nothing of the farm around
// it: package farm (the topology) starts nodes from one Config template,
// restarts them with Node.Config, kills them with Kill, KillWith or Abort,
// asks Alive and Dead, and is told of a node's death through
// Config.OnCrash. The only tie to package balancer is the client header:
// Config.ClientHeader defaults to wire.HdrClientID, the header
// balancer.StickyHeader pins on. Faults reach a node only through those
// methods and Arm/Disarm/DropSessions (the farm's injector calls them).
//
// Concurrency: every Node method is safe for concurrent use; the packets of
// one session are processed one at a time.
package node
