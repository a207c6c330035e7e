{{/*
Names and labels.
*/}}

{{/* The chart's short name: "myriad" unless nameOverride. At most 63 characters (a label value). */}}
{{- define "myriad.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The name of every resource: fullnameOverride, else the release name when it
already starts with the chart's name ("myriad", "myriad-eu"), else
"RELEASE-myriad". At most 63 characters: Services are DNS labels.
*/}}
{{- define "myriad.fullname" -}}
{{- $name := include "myriad.name" . -}}
{{- $full := .Values.fullnameOverride -}}
{{- if not $full -}}
{{- $full = ternary .Release.Name (printf "%s-%s" .Release.Name $name) (hasPrefix $name .Release.Name) -}}
{{- end -}}
{{- $full | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* helm.sh/chart: NAME-VERSION, "+" (not allowed in labels) replaced. */}}
{{- define "myriad.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The labels that select this release's pods; never change them after install. */}}
{{- define "myriad.selectorLabels" -}}
app.kubernetes.io/name: {{ include "myriad.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The labels of every resource. */}}
{{- define "myriad.labels" -}}
{{ include "myriad.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | default .Chart.Version | quote }}
app.kubernetes.io/component: sfu
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "myriad.chart" . }}
{{- end -}}

{{/*
Settings derived from values.
*/}}

{{/* Whether the server will run in development mode (no keys, or auth.development). */}}
{{- define "myriad.developmentMode" -}}
{{- if or .Values.config.auth.development (and (empty .Values.auth.keys) (not .Values.auth.existingSecret)) -}}
true
{{- end -}}
{{- end -}}

{{/* The name of the Secret holding the keys file, "" when there is none. */}}
{{- define "myriad.keysSecretName" -}}
{{- if .Values.auth.existingSecret -}}
{{- .Values.auth.existingSecret -}}
{{- else if .Values.auth.keys -}}
{{- include "myriad.fullname" . }}-keys
{{- end -}}
{{- end -}}

{{/* The key inside that Secret whose value is the keys file. */}}
{{- define "myriad.keysSecretKey" -}}
{{- if .Values.auth.existingSecret -}}
{{- .Values.auth.existingSecretKey -}}
{{- else -}}
keys.json
{{- end -}}
{{- end -}}

{{/* Where the container sees the keys file (MYRIAD_AUTH_KEYS_FILE). */}}
{{- define "myriad.keysDir" -}}/run/secrets/myriad{{- end -}}
{{- define "myriad.keysFile" -}}{{ include "myriad.keysDir" . }}/keys.json{{- end -}}

{{/* Where the container sees the config file (the image's default path). */}}
{{- define "myriad.configDir" -}}/etc/myriad{{- end -}}
{{- define "myriad.configFile" -}}{{ include "myriad.configDir" . }}/myriad.json{{- end -}}

{{/* The server's config file: the `config` value as JSON. */}}
{{- define "myriad.configJson" -}}
{{- toPrettyJson .Values.config -}}
{{- end -}}

{{/*
terminationGracePeriodSeconds: the preStop sleep, then the server's drain, then
the margin for its exit. Derived, so it cannot fall short of the drain.
*/}}
{{- define "myriad.terminationGracePeriod" -}}
{{- add (int .Values.termination.preStopSleepSeconds) (int .Values.config.drain.grace_period_s) (int .Values.termination.marginSeconds) -}}
{{- end -}}

{{/* A CPU quantity ("2", 2, "1500m", "0.5") in millicores. */}}
{{- define "myriad.millicores" -}}
{{- $q := toString . -}}
{{- if hasSuffix "m" $q -}}
{{- trimSuffix "m" $q | int -}}
{{- else -}}
{{- round (mulf (float64 $q) 1000) 0 | int -}}
{{- end -}}
{{- end -}}

{{/* The container's resources: `resources`, with requests.cpu defaulting to media.workers cores. */}}
{{- define "myriad.resources" -}}
{{- $resources := deepCopy (.Values.resources | default dict) -}}
{{- $requests := get $resources "requests" | default dict -}}
{{- if not (hasKey $requests "cpu") -}}
{{- $_ := set $requests "cpu" (toString (int .Values.media.workers)) -}}
{{- end -}}
{{- $_ := set $resources "requests" $requests -}}
{{- toYaml $resources -}}
{{- end -}}

{{/*
myriad.validate: fails the render, with a message saying what to change, on
combinations values.schema.json cannot express. Renders nothing.
*/}}
{{- define "myriad.validate" -}}
{{- $v := .Values -}}
{{- if not (has $v.kind (list "Deployment" "DaemonSet")) -}}
{{- fail (printf "kind must be Deployment or DaemonSet, got %v" $v.kind) -}}
{{- end -}}
{{- if not (has $v.network.mode (list "hostNetwork" "hostPort")) -}}
{{- fail (printf "network.mode must be hostNetwork or hostPort, got %v" $v.network.mode) -}}
{{- end -}}
{{- $workers := int $v.media.workers -}}
{{- if or (lt $workers 1) (gt $workers 256) -}}
{{- fail (printf "media.workers must be 1..256 (each worker needs its own declared UDP port), got %v" $v.media.workers) -}}
{{- end -}}
{{- $owned := dict
    "http" (list "listen_address" "web_root")
    "media" (list "listen_address" "announced_address" "workers")
    "auth" (list "keys" "keys_file") -}}
{{- $hint := dict
    "http.listen_address" "network.listenAddress" "http.web_root" "nothing (the image serves its own pages)"
    "media.listen_address" "network.listenAddress" "media.announced_address" "network.announcedAddress"
    "media.workers" "media.workers" "auth.keys" "auth.keys or auth.existingSecret"
    "auth.keys_file" "auth.keys or auth.existingSecret" -}}
{{- range $section, $keys := $owned -}}
{{- range $key := $keys -}}
{{- if hasKey (get $v.config $section | default dict) $key -}}
{{- fail (printf "config.%s.%s is set by the chart: use %s instead" $section $key (get $hint (printf "%s.%s" $section $key))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $derived := dict
    "MYRIAD_HTTP_PORT" "config.http.port" "MYRIAD_MEDIA_PORT_BASE" "config.media.port_base"
    "MYRIAD_DRAIN_GRACE_PERIOD_S" "config.drain.grace_period_s" "MYRIAD_MEDIA_WORKERS" "media.workers"
    "MYRIAD_HTTP_LISTEN_ADDRESS" "network.listenAddress" "MYRIAD_MEDIA_LISTEN_ADDRESS" "network.listenAddress"
    "MYRIAD_MEDIA_ANNOUNCED_ADDRESS" "network.announcedAddress" "MYRIAD_AUTH_KEYS" "auth.keys"
    "MYRIAD_AUTH_KEYS_FILE" "auth.keys or auth.existingSecret" -}}
{{- range $env := $v.extraEnv -}}
{{- if hasKey $derived $env.name -}}
{{- fail (printf "extraEnv %s: the chart derives ports, timing or keys from %s; set that instead" $env.name (get $derived $env.name)) -}}
{{- end -}}
{{- end -}}
{{- $portBase := int $v.config.media.port_base -}}
{{- if lt $portBase 1 -}}
{{- fail "config.media.port_base must be set (1..65535): the media ports are declared in the pod spec, ephemeral ports (0) cannot be" -}}
{{- end -}}
{{- if gt (add $portBase $workers -1) 65535 -}}
{{- fail (printf "config.media.port_base %d + media.workers %d - 1 exceeds 65535" $portBase $workers) -}}
{{- end -}}
{{- if and $v.auth.keys $v.auth.existingSecret -}}
{{- fail "auth.keys and auth.existingSecret are mutually exclusive: give the keys one way" -}}
{{- end -}}
{{- range $kid, $secret := $v.auth.keys -}}
{{- if not (regexMatch "^[A-Za-z0-9_.-]{1,64}$" $kid) -}}
{{- fail (printf "auth.keys: key id %q must be 1-64 characters of A-Z a-z 0-9 _ . -" $kid) -}}
{{- end -}}
{{- if eq $kid "dev" -}}
{{- fail "auth.keys: the key id \"dev\" is reserved for the development key" -}}
{{- end -}}
{{- if not (kindIs "string" $secret) -}}
{{- fail (printf "auth.keys.%s: the secret must be a string" $kid) -}}
{{- end -}}
{{- if lt (len $secret) 32 -}}
{{- fail (printf "auth.keys.%s: the secret is %d bytes long; it must be at least 32 (e.g. openssl rand -base64 48)" $kid (len $secret)) -}}
{{- end -}}
{{- end -}}
{{- $cpuLimit := dig "limits" "cpu" "" ($v.resources | default dict) -}}
{{- if $cpuLimit -}}
{{- if lt (include "myriad.millicores" $cpuLimit | int) (mul $workers 1000) -}}
{{- fail (printf "resources.limits.cpu %v is less than media.workers (%d) cores: each media worker is a thread that must not be throttled" $cpuLimit $workers) -}}
{{- end -}}
{{- end -}}
{{- if and $v.metrics.serviceMonitor.enabled $v.metrics.podMonitor.enabled -}}
{{- fail "metrics.serviceMonitor and metrics.podMonitor: enable one, not both (each pod would be scraped twice)" -}}
{{- end -}}
{{- end -}}
