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

// farmConfig turns the scenario's data into a farm configuration.
func farmConfig(s record.Scenario, seed sim.Seed) (farm.Config, error) {
	f := s.Farm
	cfg := farm.Config{Nodes: max(f.Nodes, 1), HostID: f.HostID, FallbackTimeout: f.FallbackTimeout, Seed: seed}
	var err error
	if cfg.Policy, err = balancer.ParsePolicy(f.Balancer); err != nil {
		return cfg, err
	}
	if f.Storage != "" {
		if cfg.Storage, err = farm.ParseStorage(f.Storage); err != nil {
			return cfg, err
		}
	}
	nt := node.NotifyReference
	if f.Notification != "" {
		if nt, err = node.ParseNotifyType(f.Notification); err != nil {
			return cfg, err
		}
	}
	cfg.NoNotify = nt == node.NotifyNone
	cfg.Node = node.Config{NotificationType: nt, ConflictStatus: f.ConflictStatus, SessionTimeout: f.SessionTimeout,
		NotificationTimeout: f.NotificationTimeout, MaxFragmentSize: f.MaxFragmentSize, MaxUploadSize: f.MaxUploadSize}
	if f.Overlap != "" {
		if cfg.Node.Overlap, err = node.ParseOverlapMode(f.Overlap); err != nil {
			return cfg, err
		}
	}
	if f.Commit != "" {
		if cfg.Node.Commit, err = node.ParseCommitMode(f.Commit); err != nil {
			return cfg, err
		}
	}
	if f.MissingContentLength != "" {
		if cfg.Node.MissingContentLength, err = node.ParseContentLengthMode(f.MissingContentLength); err != nil {
			return cfg, err
		}
	}
	mode := app.Naive
	if s.App.Mode != "" {
		if mode, err = app.ParseMode(s.App.Mode); err != nil {
			return cfg, err
		}
	}
	cfg.App = app.Config{Mode: mode, Reply: s.App.Reply}
	return cfg, nil
}

// clientOptions turns the scenario's client knobs into client options
// (clock, events and fragment size are set per job by the runner).
func clientOptions(s record.Scenario) (client.Options, error) {
	c := s.Client
	o := client.Options{MinRetryDelay: c.RetryDelay, NoProgressTimeout: c.NoProgressTimeout}
	var err error
	if c.CloseNotFound != "" {
		if o.CloseNotFound, err = client.ParseCloseNotFound(c.CloseNotFound); err != nil {
			return o, err
		}
	}
	if c.Fallback != "" {
		if o.Fallback, err = client.ParseFallbackRule(c.Fallback); err != nil {
			return o, err
		}
	}
	if c.ReplyHost != "" {
		if o.ReplyHost, err = client.ParseReplyHost(c.ReplyHost); err != nil {
			return o, err
		}
	}
	if c.MissingReply != "" {
		if o.MissingReply, err = client.ParseMissingReply(c.MissingReply); err != nil {
			return o, err
		}
	}
	if c.RangeMissing != "" {
		if o.RangeMissing, err = client.ParseRangeMissing(c.RangeMissing); err != nil {
			return o, err
		}
	}
	return o, nil
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
