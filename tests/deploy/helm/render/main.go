// Command render renders a Helm v3 chart offline, the way `helm template` does,
// for tests on machines without helm or a cluster. It is built from Debian's Go
// packages only (see tests/deploy/helm-test.sh):
//
//	sprig v3                     the template function library Helm uses
//	sigs.k8s.io/yaml             the YAML library Helm reads values and writes toYaml with
//	github.com/xeipuuv/gojsonschema  the JSON-schema validator of values.schema.json
//
// What it implements of Helm (what deploy/helm/myriad uses, and nothing that
// only pretends):
//   - Chart.yaml (apiVersion v2) as .Chart; values.yaml as the defaults;
//     -f FILE (repeatable) deep-merged in order over each other, then over the
//     defaults, where a null in a -f file deletes the default's key;
//   - values.schema.json: the merged values are checked against it;
//   - .Release (Name, Namespace, Service "Helm", IsInstall, IsUpgrade, Revision),
//     .Chart, .Values, .Template (Name, BasePath);
//   - functions: sprig's text functions (without env and expandenv, as in Helm)
//     plus include, tpl, required, toYaml, fromYaml, fromYamlArray, toJson,
//     fromJson, fromJsonArray and lookup (always an empty map: no cluster);
//   - missingkey=zero, and "<no value>" rendered as the empty string;
//   - every file under templates/ is parsed; files whose name starts with "_"
//     only define templates; NOTES.txt is rendered apart (--notes-file);
//   - the rendered files are split into YAML documents, empty ones dropped,
//     each parsed (a YAML error fails the render), sorted by kind in install
//     order and printed as one stream, each document headed by
//     "# Source: CHART/templates/FILE".
//
// Not implemented (the chart uses none of it): subcharts and dependencies,
// .Capabilities, .Files, hooks, --set, toToml, lint mode.
//
// Usage: render [--name RELEASE] [--namespace NS] [-f VALUES.yaml]...
//
//	[--notes-file FILE] [--values-out FILE] CHART_DIR
//
// Exit status 0 on success; 1 with one "Error: ..." line on stderr otherwise.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	// Sprig v3 (module github.com/Masterminds/sprig/v3): Debian installs it
	// in this folder, which GOPATH mode imports by path.
	"github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

// chartMetadata is the part of Chart.yaml templates see as .Chart. A struct, as
// in Helm: a field that does not exist is a template error, not an empty string.
type chartMetadata struct {
	APIVersion  string            `json:"apiVersion"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	AppVersion  string            `json:"appVersion,omitempty"`
	KubeVersion string            `json:"kubeVersion,omitempty"`
	Description string            `json:"description,omitempty"`
	Type        string            `json:"type,omitempty"`
	Home        string            `json:"home,omitempty"`
	Icon        string            `json:"icon,omitempty"`
	Sources     []string          `json:"sources,omitempty"`
	Keywords    []string          `json:"keywords,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Deprecated  bool              `json:"deprecated,omitempty"`
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error: "+err.Error())
		os.Exit(1)
	}
}

func run() error {
	var valueFiles stringList
	releaseName := flag.String("name", "release-name", "release name (.Release.Name)")
	namespace := flag.String("namespace", "default", "release namespace (.Release.Namespace)")
	notesFile := flag.String("notes-file", "", "write the rendered templates/NOTES.txt to this file")
	valuesOut := flag.String("values-out", "", "write the merged values (JSON) to this file")
	flag.Var(&valueFiles, "f", "values file merged over the chart's values.yaml (repeatable; later files win)")
	flag.Var(&valueFiles, "values", "same as -f")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: render [--name RELEASE] [--namespace NS] [-f VALUES.yaml]... [--notes-file FILE] [--values-out FILE] CHART_DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	chartDir := flag.Arg(0)

	meta, err := loadChartMetadata(chartDir)
	if err != nil {
		return err
	}
	defaults, err := readValuesFile(filepath.Join(chartDir, "values.yaml"), true)
	if err != nil {
		return err
	}
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		v, err := readValuesFile(f, false)
		if err != nil {
			return err
		}
		user = mergeUserValues(user, v)
	}
	values := coalesce(user, deepCopyMap(defaults))

	if err := validateAgainstSchema(chartDir, meta.Name, values); err != nil {
		return err
	}
	if *valuesOut != "" {
		data, err := json.MarshalIndent(values, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*valuesOut, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}

	top := map[string]interface{}{
		"Values": values,
		"Chart":  meta,
		"Release": map[string]interface{}{
			"Name":      *releaseName,
			"Namespace": *namespace,
			"Service":   "Helm",
			"IsInstall": true,
			"IsUpgrade": false,
			"Revision":  1,
		},
	}
	rendered, err := renderTemplates(chartDir, meta.Name, top)
	if err != nil {
		return err
	}

	notesName := meta.Name + "/templates/NOTES.txt"
	if notes, ok := rendered[notesName]; ok {
		delete(rendered, notesName)
		if *notesFile != "" {
			if err := os.WriteFile(*notesFile, []byte(notes), 0o644); err != nil {
				return err
			}
		}
	} else if *notesFile != "" {
		return fmt.Errorf("--notes-file: the chart has no templates/NOTES.txt")
	}

	manifests, err := splitAndSort(rendered)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	for _, m := range manifests {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.source, m.content)
	}
	_, err = os.Stdout.Write(out.Bytes())
	return err
}

// --- Chart and values ---------------------------------------------------------

func loadChartMetadata(dir string) (*chartMetadata, error) {
	data, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("cannot load Chart.yaml: %v", err)
	}
	var meta chartMetadata
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return nil, fmt.Errorf("cannot load Chart.yaml: %v", err)
	}
	if meta.APIVersion != "v2" {
		return nil, fmt.Errorf("Chart.yaml: apiVersion %q, this renderer knows v2 only", meta.APIVersion)
	}
	if meta.Name == "" || meta.Version == "" {
		return nil, errors.New("Chart.yaml: name and version are required")
	}
	if meta.Type != "" && meta.Type != "application" {
		return nil, fmt.Errorf("Chart.yaml: type %q cannot be rendered (library charts have no manifests)", meta.Type)
	}
	return &meta, nil
}

// readValuesFile parses a values file as Helm does: YAML converted to JSON,
// so numbers are float64 and map keys strings. An empty file is an empty map.
func readValuesFile(file string, chartDefaults bool) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if chartDefaults && errors.Is(err, fs.ErrNotExist) {
			return map[string]interface{}{}, nil
		}
		return nil, err
	}
	values := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %v", file, err)
	}
	if values == nil {
		values = map[string]interface{}{}
	}
	return values, nil
}

// mergeUserValues lays the -f file `over` on `base`: maps are merged key by key
// at every depth, anything else (lists included) is replaced. Nulls are kept:
// they delete the chart's default later, in coalesce.
func mergeUserValues(base, over map[string]interface{}) map[string]interface{} {
	merged := make(map[string]interface{}, len(base)+len(over))
	for k, v := range base {
		merged[k] = v
	}
	for k, v := range over {
		overMap, overIsMap := v.(map[string]interface{})
		baseMap, baseIsMap := merged[k].(map[string]interface{})
		if overIsMap && baseIsMap {
			merged[k] = mergeUserValues(baseMap, overMap)
		} else {
			merged[k] = v
		}
	}
	return merged
}

// coalesce fills the user's values with the chart's defaults, in place, and
// returns them: a key the user did not set takes the default; a key the user
// set to null is removed; two maps are coalesced recursively; otherwise the
// user's value wins (a map and a non-map do not mix: the user's value stays,
// with a warning, as Helm prints one).
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	return coalesceAt("", user, defaults)
}

func coalesceAt(prefix string, user, defaults map[string]interface{}) map[string]interface{} {
	for k, def := range defaults {
		uv, set := user[k]
		switch {
		case !set:
			user[k] = def
		case uv == nil:
			delete(user, k)
		default:
			defMap, defIsMap := def.(map[string]interface{})
			userMap, userIsMap := uv.(map[string]interface{})
			switch {
			case defIsMap && userIsMap:
				coalesceAt(prefix+k+".", userMap, defMap)
			case defIsMap && !userIsMap:
				fmt.Fprintf(os.Stderr, "warning: cannot overwrite table with non table for %s%s (%v)\n", prefix, k, def)
			case userIsMap && def != nil:
				fmt.Fprintf(os.Stderr, "warning: destination for %s%s is a table. Ignoring non-table value (%v)\n", prefix, k, def)
			}
		}
	}
	return user
}

func deepCopyMap(m map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		return deepCopyMap(t)
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, e := range t {
			out[i] = deepCopyValue(e)
		}
		return out
	default:
		return v
	}
}

// validateAgainstSchema checks the merged values against values.schema.json
// when the chart has one; the error lists every violation, one per line.
func validateAgainstSchema(chartDir, chartName string, values map[string]interface{}) error {
	schema, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	doc, err := json.Marshal(values)
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return fmt.Errorf("%s/values.schema.json: %v", chartName, err)
	}
	if result.Valid() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n", chartName)
	for _, e := range result.Errors() {
		fmt.Fprintf(&b, "- %s\n", e)
	}
	return errors.New(strings.TrimSuffix(b.String(), "\n"))
}

// --- Templates ----------------------------------------------------------------

// maxIncludeDepth bounds include recursion (a template including itself).
const maxIncludeDepth = 1000

// renderTemplates parses every file under templates/ into one template set
// and executes each file that is not a partial. The result maps
// "CHART/templates/FILE" to its output.
func renderTemplates(chartDir, chartName string, top map[string]interface{}) (map[string]string, error) {
	templatesDir := filepath.Join(chartDir, "templates")
	var names []string
	sources := map[string]string{}
	err := filepath.WalkDir(templatesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(templatesDir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		name := path.Join(chartName, "templates", filepath.ToSlash(rel))
		names = append(names, name)
		sources[name] = string(data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)

	root := template.New("root")
	root.Funcs(functionMap(root))
	root.Option("missingkey=zero")
	for _, name := range names {
		if _, err := root.New(name).Parse(sources[name]); err != nil {
			return nil, fmt.Errorf("parse error in %q: %v", name, err)
		}
	}

	basePath := path.Join(chartName, "templates")
	out := map[string]string{}
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		vals := make(map[string]interface{}, len(top)+1)
		for k, v := range top {
			vals[k] = v
		}
		vals["Template"] = map[string]interface{}{"Name": name, "BasePath": basePath}
		var buf strings.Builder
		if err := root.ExecuteTemplate(&buf, name, vals); err != nil {
			return nil, readableExecError(err)
		}
		out[name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

// functionMap is sprig's text function map with Helm's additions. include and
// tpl are bound to the template set t they run in.
func functionMap(t *template.Template) template.FuncMap {
	funcs := sprig.TxtFuncMap()
	// Helm leaves these out: a chart must not read the machine it is rendered on.
	delete(funcs, "env")
	delete(funcs, "expandenv")

	depth := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if depth[name] >= maxIncludeDepth {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
		}
		depth[name]++
		defer func() { depth[name]-- }()
		// "<no value>" is left in: it is removed from whole files (and tpl
		// results) only, so `include ... | sha256sum` hashes what Helm hashes.
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %v", err)
		}
		clone.Funcs(functionMap(clone))
		clone.Option("missingkey=zero")
		name := "tpl"
		if vals, ok := data.(map[string]interface{}); ok {
			if info, ok := vals["Template"].(map[string]interface{}); ok {
				if n, ok := info["Name"].(string); ok && n != "" {
					name = n + "#tpl"
				}
			}
		}
		if _, err := clone.New(name).Parse(text); err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var buf strings.Builder
		if err := clone.ExecuteTemplate(&buf, name, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(message string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(message)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(message)
		}
		return v, nil
	}
	// Serialisation errors are swallowed inside templates, as in Helm: toYaml
	// of something unserialisable is "", fromYaml of bad text is {"Error": ...}.
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromYamlArray"] = func(s string) []interface{} {
		var a []interface{}
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromJsonArray"] = func(s string) []interface{} {
		var a []interface{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	// No cluster to ask: every lookup finds nothing, as in `helm template`.
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return funcs
}

// execErrorPattern picks the location and the message out of text/template's
// "template: NAME:LINE:COL: executing "NAME" at <CALL>: error calling FUNC: MESSAGE".
var execErrorPattern = regexp.MustCompile(`^template: (\S+?): executing "[^"]*" at <.*?>: error calling \w+: ([\s\S]*)$`)

// readableExecError shortens an execution error whose cause is a function
// call (fail, required, include ...) to "execution error at (LOCATION): MESSAGE",
// the form chart authors write their messages for. Nested include errors are
// unwrapped to the innermost location.
func readableExecError(err error) error {
	msg := err.Error()
	location := ""
	for {
		m := execErrorPattern.FindStringSubmatch(msg)
		if m == nil {
			break
		}
		location, msg = m[1], m[2]
	}
	if location == "" {
		return err
	}
	return fmt.Errorf("execution error at (%s): %s", location, msg)
}

// --- Manifests ----------------------------------------------------------------

type manifest struct {
	source  string
	content string
	kind    string
}

// documentSeparator splits a rendered file into YAML documents at "---" lines.
var documentSeparator = regexp.MustCompile(`(?m)^---[ \t]*(?:#.*)?$`)

// installOrder is the order Helm gives kinds in its output (and installs them
// in): what others refer to comes first. Kinds not listed follow, by name.
var installOrder = []string{
	"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap",
	"StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
	"ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList",
	"Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
	"ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
	"StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
}

// head is what is read of each document: enough to sort it and to fail on
// YAML errors.
type head struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   *struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func splitAndSort(rendered map[string]string) ([]manifest, error) {
	var files []string
	for name := range rendered {
		files = append(files, name)
	}
	sort.Strings(files)
	var all []manifest
	for _, name := range files {
		for _, doc := range documentSeparator.Split(rendered[name], -1) {
			doc = strings.TrimSpace(doc)
			if doc == "" {
				continue
			}
			var h head
			if err := yaml.Unmarshal([]byte(doc), &h); err != nil {
				return nil, fmt.Errorf("YAML parse error on %s: %v", name, err)
			}
			all = append(all, manifest{source: name, content: doc, kind: h.Kind})
		}
	}
	rank := map[string]int{}
	for i, k := range installOrder {
		rank[k] = i
	}
	sort.SliceStable(all, func(i, j int) bool {
		ri, iKnown := rank[all[i].kind]
		rj, jKnown := rank[all[j].kind]
		switch {
		case iKnown && jKnown:
			return ri < rj
		case iKnown != jKnown:
			return iKnown
		default:
			return all[i].kind < all[j].kind
		}
	})
	return all, nil
}
