// tiltcheck: checks a Tiltfile offline (Tilt itself does not install here).
// It executes the Tiltfile with go.starlark.net (the Starlark interpreter Tilt
// embeds) against stubs of the Tilt builtins the project uses. The stubs accept
// exactly Tilt's parameter names for those builtins and verify what can be
// verified without a cluster: files and directories named (read_json's too) exist, resource_deps
// name declared resources, k8s_resource names a workload from k8s_yaml(helm(...)),
// every docker_build image is used by some chart.
//
//	go run ./k8s/tools/tiltcheck Tiltfile
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	starlarkjson "go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

type checker struct {
	root      string
	errors    []string
	resources map[string]bool // local_resource and k8s_resource-able workloads
	workloads map[string]bool // names of helm() releases (their Deployment has that name)
	images    []string
	charts    []string
	deps      [][2]string // resource -> dep, checked at the end
	k8sRes    []string
}

func (c *checker) errorf(format string, args ...any) {
	c.errors = append(c.errors, fmt.Sprintf(format, args...))
}

func (c *checker) mustExist(what, path string) {
	if _, err := os.Stat(filepath.Join(c.root, path)); err != nil {
		c.errorf("%s: %s does not exist", what, path)
	}
}

func toStrings(v starlark.Value) []string {
	var out []string
	if v == nil || v == starlark.None {
		return out
	}
	if s, ok := starlark.AsString(v); ok {
		return []string{s}
	}
	if it, ok := v.(starlark.Iterable); ok {
		iter := it.Iterate()
		defer iter.Done()
		var x starlark.Value
		for iter.Next(&x) {
			if s, ok := starlark.AsString(x); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// builtin makes a stub with Tilt's parameter names (UnpackArgs rejects unknown ones).
func (c *checker) builtin(name string, params []string, fn func(args map[string]starlark.Value) (starlark.Value, error)) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		vals := make([]starlark.Value, len(params))
		pairs := make([]any, 0, 2*len(params))
		for i, p := range params {
			pairs = append(pairs, p, &vals[i])
		}
		if err := starlark.UnpackArgs(name, args, kwargs, pairs...); err != nil {
			return nil, err
		}
		m := map[string]starlark.Value{}
		for i, p := range params {
			m[strings.TrimSuffix(p, "?")] = vals[i]
		}
		return fn(m)
	})
}

func str(v starlark.Value) string {
	s, _ := starlark.AsString(v)
	return s
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tiltcheck <Tiltfile>")
		os.Exit(2)
	}
	file := os.Args[1]
	c := &checker{root: filepath.Dir(file), resources: map[string]bool{}, workloads: map[string]bool{}}
	none := func(map[string]starlark.Value) (starlark.Value, error) { return starlark.None, nil }

	predeclared := starlark.StringDict{
		"allow_k8s_contexts": c.builtin("allow_k8s_contexts", []string{"contexts"}, none),
		"update_settings":    c.builtin("update_settings", []string{"max_parallel_updates?", "k8s_upsert_timeout_secs?", "suppress_unused_image_warnings?"}, none),
		"local": c.builtin("local", []string{"command", "quiet?", "command_bat?", "echo_off?", "env?", "dir?", "stdin?"}, func(a map[string]starlark.Value) (starlark.Value, error) {
			cmd := strings.Fields(str(a["command"]))
			if len(cmd) > 0 && strings.Contains(cmd[0], "/") {
				c.mustExist("local()", cmd[0])
			}
			return starlark.String(""), nil
		}),
		"link": c.builtin("link", []string{"url", "name?"}, func(a map[string]starlark.Value) (starlark.Value, error) {
			if u := str(a["url"]); !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				c.errorf("link(): %q is not an http(s) URL", u)
			}
			return starlark.String(str(a["url"])), nil
		}),
		"local_resource": c.builtin("local_resource", []string{"name", "cmd?", "deps?", "trigger_mode?", "resource_deps?", "ignore?", "auto_init?", "serve_cmd?", "cmd_bat?", "serve_cmd_bat?", "allow_parallel?", "links?", "tags?", "env?", "serve_env?", "readiness_probe?", "dir?", "serve_dir?", "labels?"}, func(a map[string]starlark.Value) (starlark.Value, error) {
			name := str(a["name"])
			if c.resources[name] {
				c.errorf("local_resource(%q) declared twice", name)
			}
			c.resources[name] = true
			for _, d := range toStrings(a["deps"]) {
				c.mustExist(fmt.Sprintf("local_resource(%q) deps", name), d)
			}
			for _, d := range toStrings(a["resource_deps"]) {
				c.deps = append(c.deps, [2]string{name, d})
			}
			// helm ... -f <file> and chart directories named in the command must exist.
			words := strings.Fields(str(a["cmd"]))
			for i, w := range words {
				if (w == "-f" || w == "--values") && i+1 < len(words) {
					c.mustExist(fmt.Sprintf("local_resource(%q) values", name), words[i+1])
				}
				if strings.HasPrefix(w, "k8s/") || strings.HasPrefix(w, "charts/") {
					c.mustExist(fmt.Sprintf("local_resource(%q)", name), w)
				}
			}
			return starlark.None, nil
		}),
		"docker_build": c.builtin("docker_build", []string{"ref", "context", "build_args?", "dockerfile?", "dockerfile_contents?", "live_update?", "match_in_env_vars?", "ignore?", "only?", "entrypoint?", "target?", "ssh?", "network?", "secret?", "extra_tag?", "container_args?", "cache_from?", "pull?", "platform?", "extra_hosts?"}, func(a map[string]starlark.Value) (starlark.Value, error) {
			ref := str(a["ref"])
			c.images = append(c.images, ref)
			c.mustExist("docker_build("+ref+") context", str(a["context"]))
			df := "Dockerfile"
			if a["dockerfile"] != nil && a["dockerfile"] != starlark.None {
				df = str(a["dockerfile"])
			}
			c.mustExist("docker_build("+ref+") dockerfile", df)
			if t := str(a["target"]); t != "" {
				content, err := os.ReadFile(filepath.Join(c.root, df))
				if err == nil && !strings.Contains(strings.ToLower(string(content)), " as "+strings.ToLower(t)+"\n") {
					c.errorf("docker_build(%s): %s has no stage %q", ref, df, t)
				}
			}
			for _, o := range toStrings(a["only"]) {
				c.mustExist("docker_build("+ref+") only", o)
			}
			return starlark.None, nil
		}),
		"helm": c.builtin("helm", []string{"paths", "name?", "namespace?", "values?", "set?", "kube_version?", "skip_crds?"}, func(a map[string]starlark.Value) (starlark.Value, error) {
			chart := str(a["paths"])
			c.mustExist("helm()", filepath.Join(chart, "Chart.yaml"))
			for _, v := range toStrings(a["values"]) {
				c.mustExist("helm("+chart+") values", v)
			}
			name := str(a["name"])
			if name == "" {
				name = filepath.Base(chart)
			}
			c.workloads[name] = true
			c.charts = append(c.charts, chart)
			return starlark.String("helm:" + name), nil
		}),
		"k8s_yaml": c.builtin("k8s_yaml", []string{"yaml", "allow_duplicates?"}, func(a map[string]starlark.Value) (starlark.Value, error) {
			for _, y := range toStrings(a["yaml"]) {
				if !strings.HasPrefix(y, "helm:") {
					c.mustExist("k8s_yaml()", y)
				}
			}
			return starlark.None, nil
		}),
		"k8s_resource": c.builtin("k8s_resource", []string{"workload?", "new_name?", "port_forwards?", "extra_pod_selectors?", "trigger_mode?", "resource_deps?", "objects?", "auto_init?", "pod_readiness?", "links?", "labels?", "discovery_strategy?"}, func(a map[string]starlark.Value) (starlark.Value, error) {
			name := str(a["workload"])
			c.k8sRes = append(c.k8sRes, name)
			c.resources[name] = true
			for _, d := range toStrings(a["resource_deps"]) {
				c.deps = append(c.deps, [2]string{name, d})
			}
			for _, pf := range toStrings(a["port_forwards"]) {
				var l, r int
				if _, err := fmt.Sscanf(pf, "%d:%d", &l, &r); err != nil {
					c.errorf("k8s_resource(%q): port forward %q is not local:remote", name, pf)
				}
			}
			return starlark.None, nil
		}),
		"read_json": c.builtin("read_json", []string{"paths", "default?"}, func(a map[string]starlark.Value) (starlark.Value, error) {
			path := str(a["paths"])
			content, err := os.ReadFile(filepath.Join(c.root, path))
			if err != nil {
				if a["default"] != nil {
					return a["default"], nil
				}
				return nil, fmt.Errorf("read_json: %w", err)
			}
			return starlark.Call(&starlark.Thread{Name: "read_json"}, starlarkjson.Module.Members["decode"], starlark.Tuple{starlark.String(content)}, nil)
		}),
		"os": starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"path": starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
				"exists": c.builtin("os.path.exists", []string{"path"}, func(a map[string]starlark.Value) (starlark.Value, error) {
					_, err := os.Stat(filepath.Join(c.root, str(a["path"])))
					return starlark.Bool(err == nil), nil
				}),
			}),
		}),
	}

	thread := &starlark.Thread{Name: "Tiltfile", Load: func(_ *starlark.Thread, module string) (starlark.StringDict, error) {
		return nil, fmt.Errorf("load(%q): extensions need the network; use builtins", module)
	}}
	opts := &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true, Recursion: true}
	if _, err := starlark.ExecFileOptions(opts, thread, file, nil, predeclared); err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			fmt.Fprintln(os.Stderr, ee.Backtrace())
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
	for _, d := range c.deps {
		if !c.resources[d[1]] {
			c.errorf("%s: resource_deps names %q, which is not declared", d[0], d[1])
		}
	}
	for _, w := range c.k8sRes {
		if !c.workloads[w] {
			c.errorf("k8s_resource(%q): no helm() release of that name", w)
		}
	}
	for _, img := range c.images {
		used := false
		for _, chart := range c.charts {
			if b, err := os.ReadFile(filepath.Join(c.root, chart, "values.yaml")); err == nil && strings.Contains(string(b), "repository: "+img+"\n") {
				used = true
			}
		}
		if !used {
			c.errorf("docker_build(%s): no chart's values.yaml uses this image", img)
		}
	}
	if len(c.errors) > 0 {
		sort.Strings(c.errors)
		for _, e := range c.errors {
			fmt.Fprintln(os.Stderr, "tiltcheck:", e)
		}
		os.Exit(1)
	}
	fmt.Printf("tiltcheck: %s OK (%d resources, %d images, %d charts)\n", file, len(c.resources), len(c.images), len(c.charts))
}
