{{/* Names ------------------------------------------------------------------ */}}

{{- define "s3wwwd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name, 63 characters at most (DNS label).  A release whose
name already contains the chart's name is not repeated ("s3wwwd", not
"s3wwwd-s3wwwd").
*/}}
{{- define "s3wwwd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "s3wwwd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels ----------------------------------------------------------------- */}}

{{- define "s3wwwd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "s3wwwd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The labels of every object; the selector labels plus what may change. */}}
{{- define "s3wwwd.labels" -}}
helm.sh/chart: {{ include "s3wwwd.chart" . }}
{{ include "s3wwwd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: s3wwwd
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "s3wwwd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "s3wwwd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "s3wwwd.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if eq $tag "latest" }}
{{- fail "image.tag: \"latest\" is not allowed; pin a version (or image.digest)" }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* Credentials -------------------------------------------------------------- */}}

{{/* Where the Secret volume is mounted, and the files s3wwwd reads. */}}
{{- define "s3wwwd.credentialsDir" -}}/var/run/secrets/s3wwwd{{- end }}
{{- define "s3wwwd.caDir" -}}/var/run/s3wwwd/ca{{- end }}

{{/*
The name of the credentials Secret the pods mount; "" when they get no
credentials (anonymous).  One source at a time: credentials.create,
credentials.anonymous or externalSecret.enabled, or else (none of them)
credentials.existingSecret.
*/}}
{{- define "s3wwwd.credentialsSecretName" -}}
{{- $c := .Values.credentials }}
{{- $es := .Values.externalSecret }}
{{- if $es.enabled }}
{{- if or $c.create $c.anonymous }}
{{- fail (printf "externalSecret.enabled is set together with credentials.%s; choose one credentials source (the ExternalSecret's Secret, credentials.create, credentials.anonymous or credentials.existingSecret)" (ternary "create" "anonymous" (and $c.create true))) }}
{{- end }}
{{- if or $c.accessKey $c.secretKey }}
{{- fail "credentials.accessKey/secretKey are only used with credentials.create=true; with externalSecret.enabled the keys come from the secret manager (externalSecret.accessKey/secretKey)" }}
{{- end }}
{{- if not $es.secretStoreRef.name }}
{{- fail "externalSecret.enabled needs externalSecret.secretStoreRef.name: the SecretStore or ClusterSecretStore to read the keys from" }}
{{- end }}
{{- if not (and $es.accessKey.key $es.secretKey.key) }}
{{- fail "externalSecret.enabled needs externalSecret.accessKey.key and externalSecret.secretKey.key: where the keys are in the secret manager" }}
{{- end }}
{{- default (printf "%s-credentials" (include "s3wwwd.fullname" .)) $es.target.name }}
{{- else if $c.anonymous }}
{{- if or $c.create $c.accessKey $c.secretKey }}
{{- fail "credentials.anonymous is set together with credentials.create/accessKey/secretKey; choose one" }}
{{- end }}
{{- else if $c.create }}
{{- if not (and $c.accessKey $c.secretKey) }}
{{- fail "credentials.create needs credentials.accessKey and credentials.secretKey (or use credentials.existingSecret)" }}
{{- end }}
{{- printf "%s-credentials" (include "s3wwwd.fullname" .) }}
{{- else if $c.existingSecret }}
{{- if or $c.accessKey $c.secretKey }}
{{- fail "credentials.accessKey/secretKey are only used with credentials.create=true; with credentials.existingSecret, keep the keys in that Secret" }}
{{- end }}
{{- $c.existingSecret }}
{{- else }}
{{- fail "set credentials.existingSecret, or credentials.create with accessKey/secretKey, or externalSecret.enabled (External Secrets Operator), or credentials.anonymous for a public bucket" }}
{{- end }}
{{- end }}

{{/* "true" when the pods also read a session token (temporary credentials),
which only the ExternalSecret provides. */}}
{{- define "s3wwwd.sessionToken" -}}
{{- if and .Values.externalSecret.enabled .Values.externalSecret.sessionToken.key }}true{{ end }}
{{- end }}

{{/* Configuration ------------------------------------------------------------- */}}

{{/*
A libconfig string literal: backslashes and quotes escaped.  The schema
keeps control characters out of every string that reaches the file.
*/}}
{{- define "s3wwwd.str" -}}
"{{ . | toString | replace "\\" "\\\\" | replace "\"" "\\\"" }}"
{{- end }}

{{/*
A libconfig group of the keys a values map holds, in a fixed order:
(list MAP (list valuesKey settingName ...)).  A key that is present is
written even when empty (replace_key_prefix = "" strips the prefix);
strings are quoted with s3wwwd.str, numbers and booleans written bare.
*/}}
{{- define "s3wwwd.group" -}}
{{- $m := index . 0 -}}
{{- $keys := index . 1 -}}
{
{{- range $i, $k := $keys }}
{{- if and (eq (mod $i 2) 0) (hasKey $m $k) }}
{{- $x := index $m $k }} {{ index $keys (add1 $i) }} = {{ if kindIs "string" $x }}{{ include "s3wwwd.str" $x }}{{ else if kindIs "bool" $x }}{{ $x }}{{ else }}{{ int64 $x }}{{ end }};
{{- end }}
{{- end }} }
{{- end }}

{{/* A libconfig array of strings: [ "a", "b" ], or [ ] when empty. */}}
{{- define "s3wwwd.strList" -}}
{{- $out := list -}}
{{- range . }}{{ $out = append $out (include "s3wwwd.str" .) }}{{ end -}}
{{- if $out }}[ {{ join ", " $out }} ]{{ else }}[ ]{{ end }}
{{- end }}

{{/*
A libconfig list of groups, one a line: (list NAME ITEMS KEYS), KEYS as
for s3wwwd.group.  An empty ITEMS gives "NAME = ( );".
*/}}
{{- define "s3wwwd.groupList" -}}
{{- $name := index . 0 -}}
{{- $items := index . 1 -}}
{{- $keys := index . 2 -}}
{{- if not $items }}{{ $name }} = ( );
{{- else }}{{ $name }} = (
{{- range $i, $g := $items }}
  {{ include "s3wwwd.group" (list $g $keys) }}{{ if lt (add1 $i) (len $items) }},{{ end }}
{{- end }}
);
{{- end }}
{{- end }}

{{/*
The settings of a site group of s3wwwd.conf(5), one a line, from the
chart's camelCase values: (dict "s" MAP "top" BOOL).  The one rendering of
each setting, for the top-level `site` value (top) and for every entry of
`sites`.  The top-level site writes its basic settings always and its lists
only when they have items, as the chart always did; a site of `sites`
writes only the keys it gives, an empty list too (so that it has none of
the top level's headers, say), and inherits the others.  The routing
rules, the redirect of every request and the website document are never
inherited, so an empty one is left out in both.
*/}}
{{- define "s3wwwd.siteSettings" -}}
{{- $s := .s -}}
{{- $top := .top -}}
{{- $l := list -}}
{{- range $kv := list (list "index" "index") (list "spaFile" "spa_file") (list "errorDocument" "error_document") }}
{{- if or $top (hasKey $s (index $kv 0)) }}
{{- $l = append $l (printf "%s = %s;" (index $kv 1) (include "s3wwwd.str" (index $s (index $kv 0)))) }}
{{- end }}
{{- end }}
{{- if $top }}
{{- $l = append $l "directory_listing = false;" }}
{{- end }}
{{- if or $top (hasKey $s "directoryRedirect") }}
{{- $l = append $l (printf "directory_redirect = %s;" (include "s3wwwd.str" $s.directoryRedirect)) }}
{{- end }}
{{- if or $top (hasKey $s "corsOrigins") }}
{{- $l = append $l (printf "cors_origins = %s;" (include "s3wwwd.strList" $s.corsOrigins)) }}
{{- end }}
{{- with $s.websiteDocument }}
{{- $l = append $l (printf "website_document = %s;" (include "s3wwwd.str" .)) }}
{{- end }}
{{- with $s.websiteTtl }}
{{- $l = append $l (printf "website_ttl = %s;" (include "s3wwwd.str" .)) }}
{{- end }}
{{- with $s.routingRules }}
{{- $l = append $l (include "s3wwwd.groupList" (list "routing_rules" . (list "keyPrefix" "key_prefix" "errorCode" "error_code" "protocol" "protocol" "host" "host" "replaceKeyPrefix" "replace_key_prefix" "replaceKey" "replace_key" "code" "code"))) }}
{{- end }}
{{- with $s.redirectAll }}
{{- $l = append $l (printf "redirect_all = %s;" (include "s3wwwd.group" (list . (list "host" "host" "protocol" "protocol")))) }}
{{- end }}
{{- if or $s.headers (and (not $top) (hasKey $s "headers")) }}
{{- $l = append $l (include "s3wwwd.groupList" (list "headers" $s.headers (list "prefix" "prefix" "name" "name" "value" "value" "override" "override"))) }}
{{- end }}
{{- if or $s.trySuffixes (and (not $top) (hasKey $s "trySuffixes")) }}
{{- $l = append $l (printf "try_suffixes = %s;" (include "s3wwwd.strList" $s.trySuffixes)) }}
{{- end }}
{{- if or $s.redirectSuffixes (and (not $top) (hasKey $s "redirectSuffixes")) }}
{{- $l = append $l (printf "redirect_suffixes = %t;" (and $s.redirectSuffixes true)) }}
{{- end }}
{{- if or $s.fallbacks (and (not $top) (hasKey $s "fallbacks")) }}
{{- $l = append $l (include "s3wwwd.groupList" (list "fallbacks" $s.fallbacks (list "prefix" "prefix" "spaFile" "spa_file" "errorDocument" "error_document"))) }}
{{- end }}
{{- join "\n" $l }}
{{- end }}

{{/* Where the Secret of the site numbered i (credentialsSecret) is mounted. */}}
{{- define "s3wwwd.siteCredentialsDir" -}}/var/run/secrets/s3wwwd-sites/{{ . }}{{- end }}

{{/*
One entry of `sites`, its lines without the braces: (dict "site" MAP "i"
INDEX "root" $).  Its s3 group holds the keys it gives, and the files of
its credentialsSecret, mounted by the Deployment; its site group the
settings s3wwwd.siteSettings writes; its cache group enabled and ttl (the
memory and the largest object are the server's).
*/}}
{{- define "s3wwwd.siteEntry" -}}
{{- $s := .site -}}
{{- $l := list -}}
{{- with $s.name }}
{{- $l = append $l (printf "name = %s;" (include "s3wwwd.str" .)) }}
{{- end }}
{{- with $s.hosts }}
{{- $l = append $l (printf "hosts = %s;" (include "s3wwwd.strList" .)) }}
{{- end }}
{{- if $s.default }}
{{- $l = append $l "default = true;" }}
{{- end }}
{{- $s3 := pick $s "bucket" "bucketPath" "endpoint" "region" "virtualHost" "tlsVerify" }}
{{- with $s.credentialsSecret }}
{{- $dir := include "s3wwwd.siteCredentialsDir" $.i }}
{{- $_ := set $s3 "accessKeyFile" (printf "%s/access_key" $dir) }}
{{- $_ := set $s3 "secretKeyFile" (printf "%s/secret_key" $dir) }}
{{- end }}
{{- if $s3 }}
{{- $l = append $l (printf "s3 = %s;" (include "s3wwwd.group" (list $s3 (list "endpoint" "endpoint" "bucket" "bucket" "bucketPath" "bucket_path" "region" "region" "virtualHost" "virtual_host" "tlsVerify" "tls_verify" "accessKeyFile" "access_key_file" "secretKeyFile" "secret_key_file")))) }}
{{- end }}
{{- $settings := include "s3wwwd.siteSettings" (dict "s" $s "top" false) }}
{{- if $settings }}
{{- $l = append $l (printf "site = {\n%s\n};" ($settings | indent 2)) }}
{{- end }}
{{- with $s.cache }}
{{- $l = append $l (printf "cache = %s;" (include "s3wwwd.group" (list . (list "enabled" "enabled" "ttl" "ttl")))) }}
{{- end }}
{{- join "\n" $l }}
{{- end }}

{{/*
Checks of `sites` the values schema cannot make: names and host names
unique, at most one default site, and a site that answers something.
Renders nothing; fails the render with a message naming the site.
*/}}
{{- define "s3wwwd.sitesCheck" -}}
{{- $names := dict -}}
{{- $hosts := dict -}}
{{- $defaults := list -}}
{{- range $i, $s := .Values.sites }}
{{- $name := $s.name | default (first ($s.hosts | default (list ""))) }}
{{- $label := printf "sites[%d]%s" $i (ternary (printf " (%s)" $name) "" (ne $name "")) }}
{{- if and $name (hasKey $names $name) }}
{{- fail (printf "%s: the name %q is the name of %s too; give each site its own name (the default is its first host name)" $label $name (get $names $name)) }}
{{- end }}
{{- $_ := set $names $name $label }}
{{- range $h := $s.hosts }}
{{- if hasKey $hosts $h }}
{{- fail (printf "%s: the host name %q is also a host name of %s; a host belongs to one site" $label $h (get $hosts $h)) }}
{{- end }}
{{- $_ := set $hosts $h $label }}
{{- end }}
{{- if $s.default }}
{{- $defaults = append $defaults $label }}
{{- end }}
{{- /* No top-level bucket: no top-level site, and none to inherit. */}}
{{- if and (not $.Values.s3.bucket) (not $s.bucket) }}
{{- fail (printf "%s: no bucket; s3.bucket is empty, so there is none to inherit" $label) }}
{{- end }}
{{- end }}
{{- if gt (len $defaults) 1 }}
{{- fail (printf "sites: %s are all default = true; at most one site answers the hosts no site names" (join " and " $defaults)) }}
{{- end }}
{{- if and (not .Values.s3.bucket) (not .Values.sites) }}
{{- fail "s3.bucket is empty: name the site's bucket, or list sites (each with its bucket) to serve only their host names" }}
{{- end }}
{{- end }}

{{/* The host names of `sites`, in order, each once, for the Ingress and NOTES. */}}
{{- define "s3wwwd.siteHosts" -}}
{{- $out := list -}}
{{- range .Values.sites }}{{ range .hosts }}{{ $out = append $out . }}{{ end }}{{ end -}}
{{- $out | uniq | join "\n" -}}
{{- end }}

{{- define "s3wwwd.listen" -}}
{{- $addr := .Values.server.listenAddress }}
{{- if contains ":" $addr }}
{{- printf "[%s]:%d" $addr (int .port) }}
{{- else }}
{{- printf "%s:%d" $addr (int .port) }}
{{- end }}
{{- end }}

{{/* The daemon's configuration file (s3wwwd.conf(5)). */}}
{{- define "s3wwwd.config" -}}
{{- $v := .Values -}}
{{- $secret := include "s3wwwd.credentialsSecretName" . -}}
{{- include "s3wwwd.sitesCheck" . -}}
# s3wwwd.conf, rendered by the s3wwwd Helm chart {{ .Chart.Version }}; see s3wwwd.conf(5).
listen = {{ include "s3wwwd.str" (include "s3wwwd.listen" (dict "Values" $v "port" $v.server.port)) }};
workers = {{ int $v.server.workers }};

s3: {
  endpoint = {{ include "s3wwwd.str" $v.s3.endpoint }};
  bucket = {{ include "s3wwwd.str" $v.s3.bucket }};
  bucket_path = {{ include "s3wwwd.str" $v.s3.bucketPath }};
  region = {{ include "s3wwwd.str" $v.s3.region }};
  virtual_host = {{ $v.s3.virtualHost }};
  tls_verify = {{ $v.s3.tlsVerify }};
  connect_timeout = {{ include "s3wwwd.str" $v.s3.connectTimeout }};
  timeout = {{ include "s3wwwd.str" $v.s3.timeout }};
{{- if $v.s3.caBundle.configMap }}
  ca_bundle = {{ include "s3wwwd.str" (printf "%s/ca.crt" (include "s3wwwd.caDir" .)) }};
{{- end }}
{{- if $secret }}
  # Files from the Secret volume; re-read when s3wwwd reloads (SIGHUP).
  access_key_file = {{ include "s3wwwd.str" (printf "%s/access_key" (include "s3wwwd.credentialsDir" .)) }};
  secret_key_file = {{ include "s3wwwd.str" (printf "%s/secret_key" (include "s3wwwd.credentialsDir" .)) }};
{{- if include "s3wwwd.sessionToken" . }}
  session_token_file = {{ include "s3wwwd.str" (printf "%s/session_token" (include "s3wwwd.credentialsDir" .)) }};
{{- end }}
{{- end }}
};

site: {
{{ include "s3wwwd.siteSettings" (dict "s" $v.site "top" true) | indent 2 }}
};
{{- with $v.sites }}

# Several sites (s3wwwd.conf(5)): each answers the host names it lists and
# inherits what it does not set from the groups above.
sites = (
{{- range $i, $site := . }}
  {
{{ include "s3wwwd.siteEntry" (dict "site" $site "i" $i "root" $) | indent 4 }}
  }{{ if lt (add1 $i) (len $v.sites) }},{{ end }}
{{- end }}
);
{{- end }}

cache: {
  enabled = {{ $v.server.cache.enabled }};
  memory = {{ int $v.server.cache.memoryMiB }};
  max_object_size = {{ int $v.server.cache.maxObjectSizeKiB }};
  ttl = {{ include "s3wwwd.str" $v.server.cache.ttl }};
};

limits: {
  max_header_size = {{ int $v.server.limits.maxHeaderSize }};
  max_connections = {{ int $v.server.limits.maxConnections }};
  header_timeout = {{ include "s3wwwd.str" $v.server.limits.headerTimeout }};
  keepalive_timeout = {{ include "s3wwwd.str" $v.server.limits.keepaliveTimeout }};
  keepalive_requests = {{ int $v.server.limits.keepaliveRequests }};
  send_timeout = {{ include "s3wwwd.str" $v.server.limits.sendTimeout }};
  drain_timeout = {{ include "s3wwwd.str" $v.server.limits.drainTimeout }};
};

ops: {
  healthz = "/healthz";
  readyz = "/readyz";
  metrics = "/metrics";
  listen = {{ include "s3wwwd.str" (include "s3wwwd.listen" (dict "Values" $v "port" $v.server.opsPort)) }};
};

log: {
  level = {{ include "s3wwwd.str" $v.server.logLevel }};
  file = "";
{{- if eq $v.server.accessLog "none" }}
  access = "";
{{- else }}
  access = "-";
  access_format = {{ include "s3wwwd.str" $v.server.accessLog }};
{{- end }}
};
{{- end }}

{{/* Networking --------------------------------------------------------------- */}}

{{/* The port of an S3 endpoint URL: explicit, or the scheme's default. */}}
{{- define "s3wwwd.urlPort" -}}
{{- $u := urlParse . }}
{{- $hostport := splitList ":" (get $u "host") }}
{{- if and (gt (len $hostport) 1) (regexMatch "^[0-9]+$" (last $hostport)) }}
{{- last $hostport }}
{{- else if eq (get $u "scheme") "http" }}80
{{- else }}443
{{- end }}
{{- end }}

{{/* The port of s3.endpoint. */}}
{{- define "s3wwwd.s3Port" -}}
{{- include "s3wwwd.urlPort" .Values.s3.endpoint }}
{{- end }}

{{/* The ports of s3.endpoint and of every site's own endpoint, each once. */}}
{{- define "s3wwwd.s3Ports" -}}
{{- $ports := list (include "s3wwwd.s3Port" .) -}}
{{- range .Values.sites }}{{ with .endpoint }}{{ $ports = append $ports (include "s3wwwd.urlPort" .) }}{{ end }}{{ end -}}
{{- $ports | uniq | join "," -}}
{{- end }}

{{/* The `helm test` pod's labels: not the server's selector labels, so
that neither the Service nor the NetworkPolicy take it for a server pod. */}}
{{- define "s3wwwd.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "s3wwwd.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
