package scenarios

import (
	"fmt"
	"time"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/farm/balancer"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// FarmConfig turns a farm and app spec into a farm configuration: the one
// builder behind scenarios and `bitsim serve`. Zero fields keep the
// defaults documented on record.FarmSpec (one node here; serve asks for
// three); only the run's plumbing (clock, events, network, directory,
// addresses) is left to the caller.
func FarmConfig(f record.FarmSpec, a record.AppSpec, seed sim.Seed) (farm.Config, error) {
	if f.Nodes < 0 {
		return farm.Config{}, fmt.Errorf("scenarios: negative node count %d", f.Nodes)
	}
	if f.Balancer.Kind == balancer.Pin && f.Balancer.Node > max(f.Nodes, 1) {
		return farm.Config{}, fmt.Errorf("scenarios: balancer %s: the farm has %d node(s)", f.Balancer, max(f.Nodes, 1))
	}
	return farm.Config{
		Nodes: max(f.Nodes, 1), HostID: f.HostID, FallbackTimeout: f.FallbackTimeout, Seed: seed,
		Policy: f.Balancer, Storage: f.Storage, RST: f.RST,
		Node: node.Config{
			NotificationType: f.Notification, Overlap: f.Overlap, Commit: f.Commit, ConflictStatus: f.ConflictStatus,
			RequestRetention: f.RequestRetention, AllowOverwrites: f.AllowOverwrites,
			SessionTimeout: f.SessionTimeout, NotificationTimeout: f.NotificationTimeout, CleanupInterval: f.CleanupInterval,
			SessionLimit: f.SessionLimit, SessionLimitDisabled: f.SessionLimitDisabled,
			MaxFragmentSize: f.MaxFragmentSize, MaxUploadSize: f.MaxUploadSize,
			UploadsDisabled: f.UploadsDisabled, Sync: f.Sync, MissingContentLength: f.MissingContentLength,
			SessionDirectory: f.SessionDirectory,
		},
		App: app.Config{Mode: a.Mode, Reply: a.Reply, ReplyBodyByReference: a.ReplyBodyByReference,
			CopyFileToDestination: a.CopyFileToDestination, StaticResponseURL: a.StaticResponseURL},
		AppURL: a.URL,
	}, nil
}

// farmConfig is FarmConfig for a scenario.
func farmConfig(s record.Scenario, seed sim.Seed) (farm.Config, error) {
	return FarmConfig(s.Farm, s.App, seed)
}

// clientOptions turns the scenario's client knobs into client options
// (clock, events and fragment size are set per job by the runner).
func clientOptions(s record.Scenario) (client.Options, error) {
	c := s.Client
	return client.Options{MinRetryDelay: c.RetryDelay, NoProgressTimeout: c.NoProgressTimeout,
		RequestTimeout: c.RequestTimeout, ResponseTimeout: c.ResponseTimeout,
		CloseNotFound: c.CloseNotFound, Fallback: c.Fallback, ReplyHost: c.ReplyHost, MissingReply: c.MissingReply,
		RangeMissing: c.RangeMissing}, nil
}

// expandJobs applies Count.
func expandJobs(s record.Scenario) []record.JobSpec {
	var out []record.JobSpec
	for _, j := range s.Jobs {
		if j.Count <= 1 {
			out = append(out, j)
			continue
		}
		for i := 1; i <= j.Count; i++ {
			c := j
			c.Name, c.Count = fmt.Sprintf("%s-%d", j.Name, i), 0
			if c.Txn != "" && c.Txn != "auto" {
				c.Txn = fmt.Sprintf("%s-%d", j.Txn, i)
			}
			out = append(out, c)
		}
	}
	return out
}

// sessionTimeout is the farm's effective BITSSessionTimeout.
func sessionTimeout(s record.Scenario) time.Duration {
	if s.Farm.SessionTimeout > 0 {
		return s.Farm.SessionTimeout
	}
	return node.DefaultSessionTimeout
}
