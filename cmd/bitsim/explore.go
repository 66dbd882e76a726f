package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/explore"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/reports"
	"github.com/bitsim/bitsim/scenarios"
)

func init() { register(newExploreCmd) }

type exploreFlags struct {
	batchFlags
	app        string
	runs       int
	budget     time.Duration
	file       string
	invariants []string
	noShrink   bool
	maxRepros  int
	shape      explore.Shape
	hostID     string
	exhaustive bool
	rates      bool
	uploads    int
	// appSet: --app was given (a base scenario's app.mode yields to it).
	appSet bool
}

// exploreUsage words explore's batch flags.
var exploreUsage = batchUsage{what: "exploration", unit: "runs", outName: "explore-",
	formats: "reports to write (the exploration and its reproducers; with --rates: the table)",
	shard:   "the runs k with k mod n = i, the same --seed and --runs on every machine"}

func newExploreCmd() *cobra.Command {
	var fl exploreFlags
	cmd := &cobra.Command{
		Use:   "explore",
		Short: "Search fault schedules for invariant violations and shrink each to a minimal reproducer",
		Long: `explore draws fault schedules from a grammar covering every fault action,
link class and direction, crash point and trigger kind (biased toward faults
that can bite in the drawn topology), plays each on the exact tier and checks
the invariants that must always hold: integrity, at-least-once, no lost
completed upload, no orphan on disk, exactly-once-effect (no effect applied
twice) and the run completing, plus any --invariant (a checker's name).

Each distinct failure (same invariant, same cause-chain shape) is shrunk —
fewer faults, jobs and nodes, smaller files, simpler triggers, earlier times,
each candidate confirmed by re-running it — and written as an ordinary
scenario, DIR/repro/<name>.yaml, that 'bitsim run -f' reproduces; the replay
command is printed. DIR/explore.json lists the runs, the rate and the
violations; the reproducers' runs are written next to it, and the reports
(summary.md, report.html, report.json, junit.xml) always, with an
Exploration section: the violations or every invariant held, the coverage
and, with --exhaustive, the bounded guarantee.

Run i of an exploration is a function of (--seed, i): the same seed explores
the same schedules, and --shard i/n plays only the runs i, i+n, ...; with
the same --seed and --runs on every machine, 'bitsim report --merge' of the
n shard directories writes the unsharded exploration's explore.json.

With --app-url the nodes notify your own application instead of the mock
(as 'bitsim run --app-url' does; --effects-url or --effects-cmd give its
effect probe, without which exactly-once-effect cannot be judged): the runs
play on the wire tier (real loopback TCP to your app) one at a time, their
jobs one after another, the app's faults are drawn on the node→app links
(its answer lost, or held past the notification time-out), and each
reproducer names the app (app.url), so 'bitsim run -f' replays against it.

Exit status 1 when a violation was found; 2 when the app does not answer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExplore(cmd, fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.app, "app", "naive", "the mock app's mode: naive or idempotent (or --app-url)")
	f.IntVar(&fl.runs, "runs", 0, "schedules to play (default 300 unless --budget)")
	f.DurationVar(&fl.budget, "budget", 0, "wall time of the whole exploration, shrinking included (e.g. 5m; 3/4 exploring; with --exhaustive, the enumeration stops there, without a guarantee)")
	addBatchFlags(f, &fl.batchFlags, exploreUsage)
	f.StringVarP(&fl.file, "file", "f", "", "base scenario YAML: its farm, client and jobs (and faults) for every run")
	f.StringSliceVar(&fl.invariants, "invariant", nil, "also hold this checker (repeatable): duplicates, resume-restart, faults-fired, host-id-honoured, ...")
	f.BoolVar(&fl.noShrink, "no-shrink", false, "keep each failure's first schedule as its reproducer")
	f.IntVar(&fl.maxRepros, "max-repros", explore.DefaultMaxRepros, "distinct failures to shrink")
	f.IntVar(&fl.shape.Nodes, "nodes", 0, "nodes in the farm (0: 1 to 3, drawn)")
	f.IntVar(&fl.shape.Jobs, "jobs", 1, "concurrent jobs per run")
	f.Int64Var(&fl.shape.Size, "size", 0, "bytes per job (0: 32 KiB to 256 KiB, drawn)")
	f.StringVar(&fl.hostID, "host-id", "auto", "host-id farm: yes, no or auto (drawn)")
	f.IntVar(&fl.shape.MaxFaults, "max-faults", 4, "faults drawn per schedule (1 to this many)")
	f.BoolVar(&fl.exhaustive, "exhaustive", false, "enumerate every single fault (and, with --max-faults 2, the default here, every ordered pair) of the small scope: 2 nodes, one 3-fragment upload")
	f.BoolVar(&fl.rates, "rates", false, "measure duplicate deliveries and effects per 1,000 uploads per fault class, naive vs idempotent app on the same seeds (rates.json; the table in summary.md, a bar chart in report.html)")
	f.IntVar(&fl.uploads, "uploads", 100, "with --rates: uploads per fault class and app")
	return cmd
}

// exploreOptions turns the flags into the exploration's options; note,
// if not empty, tells the user a choice the flags made (--app overriding
// the base scenario's app.mode).
func exploreOptions(fl exploreFlags) (o explore.Options, note string, err error) {
	if err := o.Shape.App.UnmarshalText([]byte(fl.app)); err != nil {
		return o, "", usage(err)
	}
	fl.shape.External = fl.ext
	if o.Seed, o.Out, o.Shard, o.Shards, err = fl.resolve(exploreUsage); err != nil {
		return o, "", err
	}
	switch fl.hostID {
	case "auto":
	case "yes", "no":
		fl.shape.HostID = fl.hostID
	default:
		return o, "", usage(fmt.Errorf("--host-id %q: want yes, no or auto", fl.hostID))
	}
	app := o.Shape.App
	o.Shape = fl.shape
	o.Shape.App = app
	if fl.file != "" {
		ss, err := scenarios.LoadFile(fl.file)
		if err != nil {
			return o, "", usage(err)
		}
		if len(ss) != 1 {
			return o, "", usage(fmt.Errorf("%s: want one base scenario, found %d", fl.file, len(ss)))
		}
		o.Base = &ss[0]
		// The base's app mode is played unless --app says otherwise.
		switch bm := o.Base.App.Mode; {
		case !fl.appSet:
			o.Shape.App = bm
		case bm != o.Shape.App:
			note = fmt.Sprintf("--app %s overrides the app.mode %s of %s", o.Shape.App, bm, fl.file)
		}
	}
	for _, n := range fl.invariants {
		if !explore.KnownInvariant(n) {
			return o, "", usage(fmt.Errorf("--invariant %q: not an invariant or a checker (known: %s)", n, strings.Join(invariantNames(), ", ")))
		}
	}
	o.Runs, o.Budget, o.Parallel, o.Invariants = fl.runs, fl.budget, fl.parallel, fl.invariants
	if o.Runs == 0 && o.Budget == 0 {
		o.Runs = 300
	}
	o.NoShrink, o.MaxRepros = fl.noShrink, fl.maxRepros
	return o, note, nil
}

// invariantNames are the names --invariant takes: explore's invariants and
// every checker.
func invariantNames() []string {
	names := append([]string(nil), explore.Invariants...)
	for _, c := range check.All() {
		if !slices.Contains(names, c.Name()) {
			names = append(names, c.Name())
		}
	}
	return names
}

// exploreConflicts refuses (a usage error, exit 2) the flag combinations
// explore would otherwise ignore, and the out-of-range counts.
func exploreConflicts(cmd *cobra.Command, fl exploreFlags) error {
	given := func(names ...string) string {
		var set []string
		for _, n := range names {
			switch {
			case !cmd.Flags().Changed(n):
			case n == "file":
				set = append(set, "-f")
			default:
				set = append(set, "--"+n)
			}
		}
		return strings.Join(set, ", ")
	}
	for _, c := range []struct {
		name string
		bad  bool
		want string
	}{
		{"max-faults", fl.shape.MaxFaults < 1, "at least 1"},
		{"runs", fl.runs < 0, "at least 1 (0: 300 unless --budget)"},
		{"budget", fl.budget < 0, "a positive duration"},
		{"nodes", fl.shape.Nodes < 0, "at least 1 (0: drawn)"},
		{"jobs", fl.shape.Jobs < 1, "at least 1"},
		{"size", fl.shape.Size < 0, "at least 1 byte (0: drawn)"},
		{"max-repros", fl.maxRepros < 0, "at least 0"},
		{"uploads", fl.uploads < 1, "at least 1"},
	} {
		if c.bad {
			v := cmd.Flags().Lookup(c.name).Value.String()
			return usage(fmt.Errorf("--%s %s: want %s", c.name, v, c.want))
		}
	}
	switch {
	case fl.rates:
		if bad := given("exhaustive", "file", "nodes", "jobs", "size", "host-id", "max-faults", "runs", "budget", "app",
			"invariant", "no-shrink", "max-repros", "shard"); bad != "" {
			return usage(fmt.Errorf("--rates plays its own fault classes on its own topology, naive and idempotent app on the same seeds, --uploads each; it does not take %s", bad))
		}
	case fl.exhaustive:
		if bad := given("file", "nodes", "jobs", "size", "host-id", "runs"); bad != "" {
			return usage(fmt.Errorf("--exhaustive plays every schedule of its small scope (2 nodes, one 3-fragment upload); it does not take %s", bad))
		}
		if fl.shape.MaxFaults > 2 && cmd.Flags().Changed("max-faults") {
			return usage(fmt.Errorf("--max-faults %d: --exhaustive enumerates schedules of 1 or 2 faults", fl.shape.MaxFaults))
		}
	case cmd.Flags().Changed("uploads"):
		return usage(fmt.Errorf("--uploads is the uploads per fault class of --rates"))
	}
	return nil
}

func runExplore(cmd *cobra.Command, fl exploreFlags) error {
	if err := exploreConflicts(cmd, fl); err != nil {
		return err
	}
	fl.appSet = cmd.Flags().Changed("app")
	o, note, err := exploreOptions(fl)
	if err != nil {
		return err
	}
	if fl.ext.URL != "" {
		switch {
		case cmd.Flags().Changed("app"):
			return usage(fmt.Errorf("--app sets the mock app's mode; with --app-url your application is notified instead"))
		case fl.rates:
			return usage(fmt.Errorf("--rates compares the mock app's naive and idempotent modes; it does not take --app-url"))
		case fl.exhaustive:
			return usage(fmt.Errorf("--exhaustive enumerates the mock app's answers; it does not take --app-url"))
		}
	}
	if err := checkApp(cmd, fl.ext); err != nil {
		return err
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if fl.rates {
		return runRates(cmd, o, fl)
	}
	what := explore.Plural(o.Runs, "run")
	if o.Runs == 0 {
		what = "for " + o.Budget.String()
	}
	k := 2 // --exhaustive's pairs unless --max-faults 1
	if fl.exhaustive {
		if cmd.Flags().Changed("max-faults") {
			k = fl.shape.MaxFaults
		}
		o.Runs = explore.ScopeSize(k)
		what = "exhaustive small scope, " + explore.Plural(o.Runs, "schedule")
		if o.Budget > 0 {
			what += " within " + o.Budget.String()
		}
	}
	shard := ""
	if o.Shards > 1 {
		shard = fmt.Sprintf(", shard %d/%d", o.Shard, o.Shards)
	}
	app := o.Shape.App.String()
	if fl.ext.URL != "" {
		app = fl.ext.URL
	}
	fmt.Fprintf(stdout, "bitsim explore: seed %d, app %s, %s%s; output in %s\n", o.Seed, app, what, shard, o.Out)
	if note != "" {
		fmt.Fprintf(stdout, "bitsim explore: %s\n", note)
	}
	if fl.ext.URL != "" {
		fmt.Fprintf(stdout, "bitsim explore: notifying your application at %s; effect probe: %s; one run at a time on the wire tier\n", fl.ext.URL, orNone(fl.ext))
	}
	bar := newExploreProgress(stderr, shardRuns(o.Runs, o.Shard, o.Shards), o.Budget, fl.noProgress)
	var mu sync.Mutex
	o.OnRun = func(p explore.Progress) {
		mu.Lock()
		defer mu.Unlock()
		bar.update(p)
	}
	o.OnShrink = func(p explore.ShrinkProgress) {
		mu.Lock()
		defer mu.Unlock()
		bar.shrink(p)
	}
	var rep *explore.Report
	if fl.exhaustive {
		rep, err = explore.Exhaustive(cmd.Context(), o, k)
	} else {
		rep, err = explore.Run(cmd.Context(), o)
	}
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s in %.1fs (%.0f runs/min), %d failing, %s (%.1fs with shrinking)\n",
		explore.Plural(rep.Runs, "run"), rep.ExploreSeconds, rep.RatePerMin, rep.FailingRuns, explore.Plural(len(rep.Violations), "distinct violation"), rep.WallSeconds)
	printCoverage(stdout, rep, o.Shape)
	if rep.Scope != nil {
		printScope(stdout, rep.Scope)
		if o.Budget > 0 && o.Shards <= 1 && rep.Runs < rep.Scope.Schedules {
			fmt.Fprintf(stdout, "the --budget %s ran out after %d of the scope's %d schedules: no bounded guarantee\n",
				o.Budget, rep.Runs, rep.Scope.Schedules)
		}
	}
	if len(rep.Violations) == 0 {
		fmt.Fprintf(stdout, "every invariant held (%s)\n", strings.Join(rep.Invariants, ", "))
		return writeExploreReports(stdout, o.Out, rep, nil, nil, fl.formats)
	}
	var plans []scenarios.Plan
	for _, v := range rep.Violations {
		fmt.Fprint(stdout, v.Text())
		plans = append(plans, scenarios.Plan{Scenario: v.Scenario, Seed: v.Seed})
	}
	parallel := o.Parallel
	if fl.ext.URL != "" {
		parallel = 1 // one app, one state
	}
	idx, results, err := scenarios.RunCatalogue(cmd.Context(), plans, scenarios.BatchOptions{Out: o.Out, Seed: o.Seed,
		Command: os.Args, Parallel: parallel})
	if err != nil {
		return err
	}
	if err := writeExploreReports(stdout, o.Out, rep, idx, results, fl.formats); err != nil {
		return err
	}
	return exitCode(1)
}

// runRates is explore --rates: the duplicate-rate table on stdout, in
// rates.json, and as a section of the reports (summary.md: the table,
// report.html: a bar chart).
func runRates(cmd *cobra.Command, o explore.Options, fl exploreFlags) error {
	stdout := cmd.OutOrStdout()
	fmt.Fprintf(stdout, "bitsim explore --rates: seed %d, %s per fault class and app; output in %s\n", o.Seed, explore.Plural(fl.uploads, "upload"), o.Out)
	start := time.Now()
	table, err := explore.Rates(cmd.Context(), o.Seed, fl.uploads, o.Parallel)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, table.Markdown())
	if err := explore.SaveRates(o.Out, table); err != nil {
		return err
	}
	idx := &record.RunIndex{Version: record.IndexVersion, Tool: "bitsim", Started: start, Wall: time.Since(start).Seconds(),
		Seed: o.Seed, Command: os.Args, Passed: true}
	paths, err := reports.Options{Rates: &table}.Write(o.Out, idx, nil, fl.formats)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(stdout, "report: %s\n", p)
	}
	fmt.Fprintf(stdout, "rates.json: %s\n", filepath.Join(o.Out, "rates.json"))
	return nil
}

// printCoverage prints, per grammar class, how often it was drawn and fired.
func printCoverage(w io.Writer, rep *explore.Report, sh explore.Shape) {
	var parts []string
	classes := explore.ScopeClasses
	if rep.Scope == nil {
		classes = nil
		for _, p := range sh.Productions() {
			classes = append(classes, p.Class)
		}
	}
	for _, cl := range classes {
		if c := rep.Coverage[cl]; c != nil {
			parts = append(parts, fmt.Sprintf("%s %d/%d", cl, c.Fired, c.Drawn))
		}
	}
	fmt.Fprintf(w, "faults fired/drawn: %s\n", strings.Join(parts, ", "))
}

// printScope prints an exhaustive exploration's coverage table and its
// guarantee.
func printScope(w io.Writer, s *explore.Scope) {
	fmt.Fprintf(w, "scope: %s\n%s, %s of at most %s\n", s.Description, explore.Plural(s.Singles, "single fault"), explore.Plural(s.Schedules, "schedule"),
		explore.Plural(s.MaxFaults, "fault"))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tFAULTS\tSCHEDULES\tFAILING")
	for _, c := range explore.ScopeClasses {
		if n := s.ByClass[c]; n != nil {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", c, n.Faults, n.Schedules, n.Failing)
		}
	}
	tw.Flush()
	if s.Guarantee != "" {
		fmt.Fprintln(w, s.Guarantee)
	}
}
