package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/bitsim/bitsim/explore"
	"github.com/bitsim/bitsim/extapp"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/payload"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
)

func init() {
	register(newRunCmd)
	register(newListCmd)
}

type runFlags struct {
	batchFlags  // --app-url, ... in ext
	labels      []string
	names       []string
	files       []string
	randomSeeds int
	timeout     time.Duration
	wire        bool
	payload     string
	target      farm.Target // --target, --node-url, --kill-cmd, --restart-cmd, --target-app
}

// runUsage words run's batch flags.
var runUsage = batchUsage{what: "run", unit: "scenarios run", formats: "reports to write",
	shard: "the scenario runs k with k mod n = i, the same --seed on every machine"}

func newRunCmd() *cobra.Command {
	var fl runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the scenario catalogue (or chosen scenarios) on the embedded in-process farm",
		Long: `run plays scenarios on a fresh in-process web farm each: BITS upload nodes
behind a balancer, a mock application, toxiproxy on every link, BITS clients.
Each run is judged by the checkers and compared with the scenario's
expectations.

By default every run plays on the exact tier: inside a testing/synctest
bubble, on an in-memory network whose connects, writes and closes one
scheduler delivers in a canonical order, with a clock that moves only when
every goroutine of the run is blocked. The same seed gives the same run
(result.json's history_digest). --wire plays on real loopback TCP instead,
with a virtual clock whose idle detector jumps over waits: same verdicts,
but histories differ from run to run.

Without selection flags it runs the whole catalogue except scenarios labelled
slow. The run's seed is printed first; pass it back with --seed to replay the
same payloads, session ids, balancer choices and random faults.

It prints a summary table, writes every run's history, ledger, verdicts and
the reports (report.json, junit.xml, summary.md, report.html) under --out,
and exits non-zero if any scenario missed its expectations.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRun(cmd, fl) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&fl.labels, "label", nil, "only scenarios with this label (repeatable; \"!label\" excludes): "+strings.Join(record.Labels, ", "))
	f.StringSliceVar(&fl.names, "scenario", nil, "only the named scenario (repeatable)")
	f.StringSliceVarP(&fl.files, "file", "f", nil, "also run the scenarios of this YAML file (repeatable); with -f only, the catalogue is not run")
	addBatchFlags(f, &fl.batchFlags, runUsage)
	f.IntVar(&fl.randomSeeds, "random-seeds", 3, "seeds drawn per randomized scenario")
	f.DurationVar(&fl.timeout, "timeout", 2*time.Minute, "wall-time limit per scenario (wire tier; the exact tier detects a run that cannot end)")
	f.BoolVar(&fl.wire, "wire", false, "play on the wire tier (real loopback TCP, heuristic clock) instead of the exact tier")
	f.StringVar(&fl.target.URL, "target", "", "run against this external BITS server (upload URL prefix, e.g. http://host:8080/upload/) behind bitsim's toxiproxy links; scenarios it cannot undergo are skipped with the reason")
	f.StringArrayVar(&fl.target.NodeURLs, "node-url", nil, "with --target: the URL of one of its nodes, for host-id farms (repeatable: node1, node2, ...); connections to its host go through link nodeK")
	f.StringVar(&fl.target.KillCmd, "kill-cmd", "", "with --target: shell command that kills a node (BITSIM_NODE, BITSIM_NODE_URL set)")
	f.StringVar(&fl.target.RestartCmd, "restart-cmd", "", "with --target: shell command that restarts a node (BITSIM_NODE, BITSIM_NODE_URL set)")
	f.StringVar(&fl.target.AppAddr, "target-app", "", "with --target: serve bitsim's mock app at this `HOST:PORT` (configure the target to notify http://HOST:PORT/notify) to see its deliveries")
	f.StringVar(&fl.payload, "payload", "", "take every job's bytes from this file, or from this directory's files in turn, with {{txn}}, {{job}} and {{seed}} replaced")
	return cmd
}

// addAppFlags adds the external-application flags (run and serve).
func addAppFlags(f *pflag.FlagSet, a *record.AppSpec) {
	f.StringVar(&a.URL, "app-url", "", "notify your own application at this http URL instead of the mock (see README \"Testing your application\")")
	f.StringVar(&a.EffectsURL, "effects-url", "", "your application's effect probe: GET answering {\"effects\": {\"<txn>\": <count>}}")
	f.StringVar(&a.EffectsCmd, "effects-cmd", "", "a shell command printing the effect probe's JSON (e.g. a query on the app's database)")
}

// checkApp fails fast (exit 2) when the external app does not answer.
func checkApp(cmd *cobra.Command, a record.AppSpec) error {
	if a.URL == "" {
		if a.EffectsURL != "" || a.EffectsCmd != "" {
			return usage(fmt.Errorf("--effects-url and --effects-cmd need --app-url (or --target)"))
		}
		return nil
	}
	if err := extapp.CheckReachable(cmd.Context(), a.URL, 3*time.Second); err != nil {
		return usage(err)
	}
	if a.EffectsURL != "" {
		if err := extapp.CheckReachable(cmd.Context(), a.EffectsURL, 3*time.Second); err != nil {
			return usage(fmt.Errorf("effect probe: %w", err))
		}
	}
	return nil
}

// selectScenarios applies the selection flags to the catalogue and files.
func selectScenarios(fl runFlags) ([]record.Scenario, error) {
	var list []record.Scenario
	if len(fl.files) == 0 || len(fl.names) > 0 || len(fl.labels) > 0 {
		all := scenarios.Catalogue()
		switch {
		case len(fl.names) > 0:
			for _, n := range fl.names {
				s, ok := scenarios.Find(n)
				if !ok {
					return nil, fmt.Errorf("no scenario %q (bitsim list shows them)", n)
				}
				list = append(list, s)
			}
		case len(fl.labels) > 0:
			for _, l := range fl.labels {
				if !record.KnownLabel(strings.TrimPrefix(l, "!")) {
					return nil, fmt.Errorf("unknown label %q (known: %s)", l, strings.Join(record.Labels, ", "))
				}
			}
			list = scenarios.Select(all, fl.labels...)
		default:
			list = scenarios.Select(all, "!"+record.LabelSlow)
		}
	}
	for _, file := range fl.files {
		ss, err := scenarios.LoadFile(file)
		if err != nil {
			return nil, err
		}
		list = append(list, ss...)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("no scenario selected")
	}
	return list, nil
}

func runRun(cmd *cobra.Command, fl runFlags) error {
	list, err := selectScenarios(fl)
	if err != nil {
		return err
	}
	if fl.target.URL != "" && fl.ext.URL == "" {
		// The target notifies its own application; the probe is still read.
		if err := checkApp(cmd, record.AppSpec{URL: fl.ext.EffectsURL}); err != nil {
			return err
		}
	} else if err := checkApp(cmd, fl.ext); err != nil {
		return err
	}
	yamlApps := map[string]bool{} // YAML scenarios naming their own app (app.url)
	for _, sc := range list {
		if u := sc.App.URL; u != "" && fl.ext.URL == "" && !yamlApps[u] {
			yamlApps[u] = true
			if err := checkApp(cmd, record.AppSpec{URL: u}); err != nil {
				return fmt.Errorf("scenario %s: %w", sc.Name, err)
			}
		}
	}
	var target *farm.Target
	if fl.target.URL != "" {
		if fl.ext.URL != "" {
			return usage(fmt.Errorf("--target and --app-url: the target notifies its own application (see --target-app and --effects-url)"))
		}
		t := fl.target
		t.NodeURLs = append([]string(nil), t.NodeURLs...)
		target = &t
		if err := extapp.CheckReachable(cmd.Context(), t.URL, 3*time.Second); err != nil {
			return usage(fmt.Errorf("--target: %w", err))
		}
	} else if len(fl.target.NodeURLs) > 0 || fl.target.KillCmd != "" || fl.target.RestartCmd != "" || fl.target.AppAddr != "" {
		return usage(fmt.Errorf("--node-url, --kill-cmd, --restart-cmd and --target-app need --target"))
	}
	if fl.payload != "" {
		if _, err := payload.Files(fl.payload); err != nil {
			return usage(err)
		}
		for i := range list {
			list[i].Jobs = append([]record.JobSpec(nil), list[i].Jobs...)
			for j := range list[i].Jobs {
				list[i].Jobs[j].Payload = fl.payload
			}
		}
	}
	seed, out, shard, shards, err := fl.resolve(runUsage)
	if err != nil {
		return err
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	plans := scenarios.PlanRuns(list, seed, fl.randomSeeds)
	if shards > 1 {
		var mine []scenarios.Plan
		for k, p := range plans {
			if k%shards == shard {
				mine = append(mine, p)
			}
		}
		plans = mine
		fmt.Fprintf(stdout, "bitsim: shard %d/%d\n", shard, shards)
	}
	fmt.Fprintf(stdout, "bitsim: seed %d (replay with --seed %d); %s; output in %s\n", seed, seed, explore.Plural(len(plans), "scenario run"), out)
	parallel, tag := fl.parallel, ""
	if fl.ext.URL != "" {
		// One app, one state: scenarios run one at a time, so that each
		// one's probe difference is its own.
		plans, parallel, tag = scenarios.PlanExternal(plans, fl.ext), 1, scenarios.NewTxnTag()
		fmt.Fprintf(stdout, "bitsim: notifying your application at %s; effect probe: %s; transaction ids end in -%s\n",
			fl.ext.URL, orNone(fl.ext), tag)
	} else if len(yamlApps) > 0 {
		parallel, tag = 1, scenarios.NewTxnTag()
	}

	if target != nil {
		parallel = 1 // one server, one set of sessions and hooks; one mock app address
		fmt.Fprintf(stdout, "bitsim: target %s (%d node URL(s)); deliveries seen %s\n", target.URL, len(target.NodeURLs), targetDeliveries(*target, fl.ext))
		for i := range plans {
			plans[i].Scenario.App.EffectsURL, plans[i].Scenario.App.EffectsCmd = fl.ext.EffectsURL, fl.ext.EffectsCmd
		}
	}

	bar := newProgress(stderr, len(plans), fl.noProgress)
	var mu sync.Mutex
	idx, results, err := scenarios.RunCatalogue(cmd.Context(), plans, scenarios.BatchOptions{
		Out: out, Seed: seed, Command: os.Args, Parallel: parallel,
		Run: scenarios.RunOptions{Timeout: fl.timeout, Wire: fl.wire, TxnTag: tag, Target: target},
		OnDone: func(done, total int, r *record.Result) {
			mu.Lock()
			defer mu.Unlock()
			bar.done(r)
		},
	})
	bar.finish()
	if err != nil {
		return err
	}
	printSummary(stdout, results)
	paths, err := writeReports(out, idx, results, fl.formats)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(stdout, "report: %s\n", p)
	}
	failed, skipped := 0, 0
	for _, r := range results {
		switch {
		case r.Skipped != "":
			skipped++
		case !r.Passed:
			failed++
		}
	}
	skip := ""
	if skipped > 0 {
		skip = fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintf(stdout, "%d of %s passed%s in %.1fs (seed %d)\n", len(results)-failed-skipped, explore.Plural(len(results), "scenario run"), skip, idx.Wall, seed)
	if failed > 0 {
		return exitCode(1)
	}
	return nil
}

// targetDeliveries says how deliveries to a target are observed.
func targetDeliveries(t farm.Target, a record.AppSpec) string {
	switch {
	case t.AppAddr != "":
		return "at bitsim's mock app, http://" + t.AppAddr + "/notify (the target must notify it)"
	case a.EffectsURL != "" || a.EffectsCmd != "":
		return "through the effect probe " + orNone(a)
	}
	return "nowhere (no --target-app or effect probe: integrity and at-least-once are not judged)"
}

// progress is a progress bar on a terminal, nothing otherwise.
type progress struct {
	bar *progressbar.ProgressBar
}

func newProgress(w io.Writer, total int, off bool) *progress {
	f, ok := w.(*os.File)
	if off || !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("scenarios"),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))}
}

func (p *progress) done(r *record.Result) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("%-40.40s", r.Scenario))
	_ = p.bar.Add(1)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// printSummary prints one line per scenario run.
func printSummary(w io.Writer, results []*record.Result) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tDELIVERIES\tEFFECTS\tRESTARTS\tRE-SENT\tPROTOCOL TIME\tWALL\tCOMPRESSION\tVERDICT")
	for _, r := range results {
		name := r.Scenario
		if len(r.Labels) > 0 && contains(r.Labels, record.LabelRandom) {
			name = fmt.Sprintf("%s@%d", name, r.Seed)
		}
		verdict := "pass"
		if r.Skipped != "" {
			verdict = "skipped: " + r.Skipped
			if len(verdict) > 120 {
				verdict = verdict[:117] + "..."
			}
		} else if !r.Passed {
			verdict = "FAIL: " + strings.Join(r.Failures, "; ")
			if len(verdict) > 120 {
				verdict = verdict[:117] + "..."
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\tx%.0f\t%s\n", name, r.Deliveries, r.Effects, r.Restarts, r.BytesResent,
			fmtProto(r.ProtocolTime), r.Wall.Round(time.Millisecond), r.Compression, verdict)
	}
	tw.Flush()
}

func fmtProto(d time.Duration) string {
	if d >= time.Hour {
		return fmt.Sprintf("%.1fh", d.Hours())
	}
	return d.Round(time.Second).String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newListCmd() *cobra.Command {
	var labels []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the scenario catalogue with labels and descriptions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list := scenarios.Select(scenarios.Catalogue(), labels...)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SCENARIO\tLABELS\tSPEC\tDESCRIPTION")
			for _, s := range list {
				d := s.Description
				if i := strings.IndexAny(d, ";:"); i > 0 {
					d = d[:i]
				}
				if len(d) > 110 {
					d = d[:107] + "..."
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, strings.Join(s.Labels, ","), s.Spec, d)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&labels, "label", nil, "only scenarios with this label (\"!label\" excludes)")
	return cmd
}

func orNone(a record.AppSpec) string {
	if p := (extapp.Probe{URL: a.EffectsURL, Cmd: a.EffectsCmd}).String(); p != "" {
		return p
	}
	return "none (exactly-once-effect will be unknown)"
}
