package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// invocation is one bitsim command line of an example workflow.
type invocation struct {
	where string
	args  []string // after "bitsim"
}

// bitsimCalls parses a shell script and returns its bitsim command lines
// ("go run ./cmd/bitsim ..." or "bitsim ..."), expanded with env.
func bitsimCalls(t *testing.T, where, script string, env ...string) []invocation {
	t.Helper()
	f, err := syntax.NewParser().Parse(strings.NewReader(script), where)
	if err != nil {
		t.Fatalf("%s: %v\n%s", where, err, script)
	}
	cfg := &expand.Config{Env: expand.ListEnviron(env...)}
	var out []invocation
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		args, err := expand.Fields(cfg, call.Args...)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		out = append(out, bitsimArgs(where, args)...)
		return true
	})
	return out
}

func bitsimArgs(where string, args []string) []invocation {
	switch {
	case len(args) >= 3 && args[0] == "go" && args[1] == "run" && args[2] == "./cmd/bitsim":
		return []invocation{{where, args[3:]}}
	case len(args) >= 1 && args[0] == "bitsim":
		return []invocation{{where, args[1:]}}
	}
	return nil
}

// shardPlan is what the example's invocations do, checked against the
// real command-line parser.
type shardPlan struct {
	// shards[kind] are the --out directories of each shard i of kind
	// (run or explore) by i, with their seed and --runs.
	shards map[string]map[int]string
	n      map[string]int
	key    map[string]string // kind → seed and runs, the same for every shard
	// merges[kind] are the directories each report --merge of kind merges.
	merges map[string][]string
}

func newShardPlan() *shardPlan {
	return &shardPlan{shards: map[string]map[int]string{}, n: map[string]int{}, key: map[string]string{}, merges: map[string][]string{}}
}

// add parses inv with bitsim's own commands and records what it does.
func (p *shardPlan) add(t *testing.T, inv invocation) {
	t.Helper()
	root := newRootCmd()
	cmd, rest, err := root.Find(inv.args)
	if err != nil || cmd == root {
		t.Errorf("%s: bitsim %v: no such command (%v)", inv.where, inv.args, err)
		return
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: bitsim %v: %v", inv.where, inv.args, err)
		return
	}
	pos := cmd.Flags().Args()
	if err := cmd.ValidateArgs(pos); err != nil {
		t.Errorf("%s: bitsim %v: %v", inv.where, inv.args, err)
		return
	}
	flag := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
	switch cmd.Name() {
	case "run", "explore":
		if flag("shard") == "" {
			return
		}
		i, n, err := parseShard(flag("shard"))
		if err != nil {
			t.Errorf("%s: %v", inv.where, err)
			return
		}
		kind := cmd.Name()
		key := "seed " + flag("seed")
		if kind == "explore" {
			key += ", runs " + flag("runs") + ", app " + flag("app")
			if flag("runs") == "0" {
				t.Errorf("%s: an explore shard with --budget: the merge would not equal the unsharded exploration; give --runs", inv.where)
			}
		}
		if flag("seed") == "0" {
			t.Errorf("%s: a shard without --seed: every shard would draw its own", inv.where)
		}
		if p.shards[kind] == nil {
			p.shards[kind], p.n[kind], p.key[kind] = map[int]string{}, n, key
		}
		if n != p.n[kind] || key != p.key[kind] {
			t.Errorf("%s: %s shard %d/%d with %s; others are of %d with %s", inv.where, kind, i, n, key, p.n[kind], p.key[kind])
		}
		if prev, dup := p.shards[kind][i]; dup && prev != flag("out") {
			t.Errorf("%s: %s shard %d writes %s and %s", inv.where, kind, i, prev, flag("out"))
		}
		p.shards[kind][i] = flag("out")
	case "report":
		if flag("merge") != "true" {
			return
		}
		if flag("out") == "" {
			t.Errorf("%s: report --merge without --out", inv.where)
		}
		kind := "run"
		if strings.Contains(path.Base(pos[0]), "explore") {
			kind = "explore"
		}
		p.merges[kind] = append(p.merges[kind], pos...)
	}
}

// check: every kind sharded has all n shards, and a merge of exactly those
// directories (by base name: the artefacts move between machines).
func (p *shardPlan) check(t *testing.T, kinds ...string) {
	t.Helper()
	for _, kind := range kinds {
		var want []string
		for i := 0; i < p.n[kind]; i++ {
			d, ok := p.shards[kind][i]
			if !ok {
				t.Errorf("%s shard %d/%d is never run", kind, i, p.n[kind])
			}
			want = append(want, path.Base(d))
		}
		var got []string
		for _, d := range p.merges[kind] {
			got = append(got, path.Base(d))
		}
		slices.Sort(got)
		slices.Sort(want)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: the merge takes %v, the shards write %v", kind, got, want)
		}
	}
}

// TestExampleGitHubActions: the matrix workflow's bitsim command lines
// parse with bitsim's own flags, every matrix index runs its shard of the
// catalogue and of the exploration with one seed (and --runs), and the
// merge job merges exactly those shard directories.
func TestExampleGitHubActions(t *testing.T) {
	b, err := os.ReadFile("../../examples/shards/github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			Strategy struct {
				Matrix map[string][]int `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Name string `yaml:"name"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	var env []string
	for k, v := range wf.Env {
		env = append(env, k+"="+v)
	}
	p := newShardPlan()
	for name, job := range wf.Jobs {
		indexes := job.Strategy.Matrix["index"]
		if len(indexes) == 0 {
			indexes = []int{-1}
		} else if n, _ := strconv.Atoi(wf.Env["SHARDS"]); n != len(indexes) {
			t.Errorf("job %s: matrix of %d indexes, SHARDS=%s", name, len(indexes), wf.Env["SHARDS"])
		}
		for _, i := range indexes {
			for k, st := range job.Steps {
				script := strings.ReplaceAll(st.Run, "${{ matrix.index }}", strconv.Itoa(i))
				if strings.Contains(script, "${{") {
					t.Errorf("job %s step %d: an expression the test does not know: %s", name, k, script)
				}
				for _, inv := range bitsimCalls(t, fmt.Sprintf("job %s[%d] step %q", name, i, st.Name), script, env...) {
					p.add(t, inv)
				}
			}
		}
	}
	p.check(t, "run", "explore")
}

// k8sJob is what the test reads of a Kubernetes Job.
type k8sJob struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Template       struct {
			Spec struct {
				Containers []struct {
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// TestExampleKubernetesIndexedJob: the Indexed Job's pods, one per
// JOB_COMPLETION_INDEX, run every shard of the catalogue and of the
// exploration with one seed, and the merge Job merges exactly those
// directories; every command line parses with bitsim's own flags.
func TestExampleKubernetesIndexedJob(t *testing.T) {
	f, err := os.Open("../../examples/shards/kubernetes-indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := newShardPlan()
	dec := yaml.NewDecoder(f)
	jobs := 0
	for {
		var job k8sJob
		if err := dec.Decode(&job); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if job.Kind != "Job" {
			t.Errorf("a %s: want Jobs only", job.Kind)
			continue
		}
		jobs++
		indexes := []int{-1}
		if job.Spec.CompletionMode == "Indexed" {
			indexes = nil
			for i := 0; i < job.Spec.Completions; i++ {
				indexes = append(indexes, i)
			}
		}
		for _, c := range job.Spec.Template.Spec.Containers {
			argv := append(append([]string(nil), c.Command...), c.Args...)
			for _, i := range indexes {
				where := fmt.Sprintf("job %s[%d]", job.Metadata.Name, i)
				env := []string{fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i)}
				var calls []invocation
				if len(argv) == 3 && argv[0] == "/bin/sh" && argv[1] == "-c" {
					calls = bitsimCalls(t, where, argv[2], env...)
				} else {
					calls = bitsimArgs(where, argv)
				}
				for _, inv := range calls {
					p.add(t, inv)
				}
			}
		}
	}
	if jobs != 2 {
		t.Errorf("%d Jobs, want the shards' and the merge's", jobs)
	}
	p.check(t, "run", "explore")
}
