package main

// The Helm semantics the renderer implements, each on a chart written here.
// Run by tests/deploy/helm-test.sh (go test, GOPATH mode, offline).

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeChart makes a chart "demo" in a temporary folder from path -> content.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["Chart.yaml"] = "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: \"4.5\"\n"
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// renderChart renders dir with the chart's values.yaml under the user values.
func renderChart(t *testing.T, dir string, user map[string]interface{}) (map[string]string, error) {
	t.Helper()
	meta, err := loadChartMetadata(dir)
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := readValuesFile(filepath.Join(dir, "values.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	values := coalesce(user, deepCopyMap(defaults))
	if err := validateAgainstSchema(dir, meta.Name, values); err != nil {
		return nil, err
	}
	top := map[string]interface{}{
		"Values":  values,
		"Chart":   meta,
		"Release": map[string]interface{}{"Name": "rel", "Namespace": "ns", "Service": "Helm", "IsInstall": true},
	}
	return renderTemplates(dir, meta.Name, top)
}

func TestValuesMergeAndCoalesce(t *testing.T) {
	first := map[string]interface{}{"a": map[string]interface{}{"x": 1.0, "y": 2.0}, "list": []interface{}{1.0, 2.0}}
	second := map[string]interface{}{"a": map[string]interface{}{"y": 3.0}, "list": []interface{}{9.0}}
	merged := mergeUserValues(first, second)
	want := map[string]interface{}{"a": map[string]interface{}{"x": 1.0, "y": 3.0}, "list": []interface{}{9.0}}
	if !reflect.DeepEqual(merged, want) {
		t.Errorf("-f files: got %v, want %v (maps merged, lists replaced)", merged, want)
	}

	defaults := map[string]interface{}{
		"keep":    "default",
		"gone":    "default",
		"section": map[string]interface{}{"a": 1.0, "b": 2.0},
		"table":   map[string]interface{}{"k": "v"},
	}
	user := map[string]interface{}{"gone": nil, "section": map[string]interface{}{"b": 20.0}, "table": "scalar", "extra": true}
	got := coalesce(user, defaults)
	want = map[string]interface{}{
		"keep":    "default",
		"section": map[string]interface{}{"a": 1.0, "b": 20.0},
		"table":   "scalar",
		"extra":   true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("coalesce: got %v, want %v (null deletes, maps deep-merge, user wins)", got, want)
	}
}

func TestValuesAreJSONTyped(t *testing.T) {
	// As in Helm, YAML goes through JSON: integers are float64, so printing a
	// large one gives exponent notation unless the chart converts it.
	dir := writeChart(t, map[string]string{
		"values.yaml":         "big: 1000000\nsmall: 7880\nyes11: yes\n",
		"templates/cm.yaml":   "a: {{ .Values.big }}\nb: {{ int .Values.big }}\nc: {{ .Values.small }}\nd: {{ .Values.yes11 }}\ne: {{ toJson .Values.big }}\n",
		"templates/NOTES.txt": "notes",
	})
	out, err := renderChart(t, dir, map[string]interface{}{})
	if err != nil {
		t.Fatal(err)
	}
	want := "a: 1e+06\nb: 1000000\nc: 7880\nd: true\ne: 1000000\n"
	if got := out["demo/templates/cm.yaml"]; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTemplateFunctions(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"values.yaml": "name: world\nnested:\n  list: [b, a]\ntext: \"{{ .Values.name }}!\"\n",
		"templates/_helpers.tpl": `{{- define "demo.greeting" -}}hello {{ .Values.name }}{{- end -}}
{{- define "demo.missing" -}}[{{ .Values.nothing }}]{{- end -}}`,
		"templates/out.yaml": `include: {{ include "demo.greeting" . }}
tpl: {{ tpl .Values.text . }}
missing: "{{ .Values.nothing }}"
missingIncluded: {{ include "demo.missing" . | quote }}
toYaml:
{{ toYaml .Values.nested | indent 2 }}
fromYaml: {{ (fromYaml "a: 1").a }}
fromYamlError: {{ hasKey (fromYaml "a: [") "Error" }}
toJson: {{ toJson .Values.nested }}
fromJson: {{ (fromJson "{\"k\": \"v\"}").k }}
lookup: {{ len (lookup "v1" "Secret" "ns" "x") }}
chart: {{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Chart.AppVersion }}
release: {{ .Release.Name }}/{{ .Release.Namespace }}/{{ .Release.Service }}/{{ .Release.IsInstall }}
template: {{ .Template.Name }} in {{ .Template.BasePath }}
sprig: {{ list 3 1 2 | sortAlpha | join "," }}
`,
	})
	out, err := renderChart(t, dir, map[string]interface{}{})
	if err != nil {
		t.Fatal(err)
	}
	want := `include: hello world
tpl: world!
missing: ""
missingIncluded: "[]"
toYaml:
  list:
  - b
  - a
fromYaml: 1
fromYamlError: true
toJson: {"list":["b","a"]}
fromJson: v
lookup: 0
chart: demo-1.2.3-4.5
release: rel/ns/Helm/true
template: demo/templates/out.yaml in demo/templates
sprig: 1,2,3
`
	// A missing key prints as "" (Helm removes "<no value>" from the output).
	if got := out["demo/templates/out.yaml"]; got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if _, ok := out["demo/templates/_helpers.tpl"]; ok {
		t.Error("a partial (_helpers.tpl) was rendered as a manifest")
	}
}

func TestFailuresAndRequired(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"values.yaml":        "port: 0\n",
		"templates/a.yaml":   `port: {{ required "port is required" .Values.host }}`,
		"templates/b.yaml":   `{{ if not .Values.port }}{{ fail "set port" }}{{ end }}`,
		"values.schema.json": `{"type": "object", "properties": {"port": {"type": "integer", "maximum": 10}}}`,
	})
	_, err := renderChart(t, dir, map[string]interface{}{})
	if err == nil || !strings.Contains(err.Error(), "execution error at (demo/templates/") {
		t.Errorf("want an execution error, got %v", err)
	}
	_, err = renderChart(t, dir, map[string]interface{}{"port": 11.0})
	if err == nil || !strings.Contains(err.Error(), "- port: Must be less than or equal to 10") {
		t.Errorf("want a schema error, got %v", err)
	}
	_, err = renderChart(t, dir, map[string]interface{}{"port": "x"})
	if err == nil || !strings.Contains(err.Error(), "Invalid type. Expected: integer, given: string") {
		t.Errorf("want a type error, got %v", err)
	}
}

func TestSplitAndSort(t *testing.T) {
	rendered := map[string]string{
		"c/templates/b.yaml": "kind: Deployment\nmetadata:\n  name: d\n---\n# only a comment\n",
		"c/templates/a.yaml": "\n---\nkind: Service\n---\n\n---\nkind: Secret\n",
		"c/templates/z.yaml": "kind: ServiceMonitor\n",
		"c/templates/y.yaml": "kind: ConfigMap\n",
		"c/templates/e.yaml": "  \n",
	}
	got, err := splitAndSort(rendered)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range got {
		kinds = append(kinds, m.kind+"@"+m.source)
	}
	// Install order; unknown kinds last; a comment-only document stays (as in Helm).
	want := []string{
		"Secret@c/templates/a.yaml", "ConfigMap@c/templates/y.yaml", "Service@c/templates/a.yaml",
		"Deployment@c/templates/b.yaml", "@c/templates/b.yaml", "ServiceMonitor@c/templates/z.yaml",
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("got %v, want %v", kinds, want)
	}
	if _, err := splitAndSort(map[string]string{"c/templates/bad.yaml": "a: [\n"}); err == nil ||
		!strings.Contains(err.Error(), "YAML parse error on c/templates/bad.yaml") {
		t.Errorf("want a YAML parse error, got %v", err)
	}
}
