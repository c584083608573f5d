// Package deploy holds the deployment files of paperspace-bot: the Slack
// app manifest and the Kubernetes manifests. Its tests decode every
// Kubernetes manifest strictly into the Kubernetes API types and check it
// against the settings the bot reads.
package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/paperspace-bot/paperspace-bot/config"
	"github.com/paperspace-bot/paperspace-bot/metrics"
)

// kubernetesDir holds the Kubernetes manifests.
const kubernetesDir = "kubernetes"

// secretTemplate is the Secret template, which the kustomization leaves out
// so that applying it never overwrites the real Secret.
const secretTemplate = "secret.yaml"

// kustomization is the part of a kustomize Kustomization that the manifests
// use. Decoding is strict, so a field it lacks fails the test.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// manifests are the decoded Kubernetes objects.
type manifests struct {
	kustomization kustomization
	deployment    *appsv1.Deployment
	configMap     *corev1.ConfigMap
	secret        *corev1.Secret
	service       *corev1.Service
	budget        *policyv1.PodDisruptionBudget
	// files are the manifest file names, kustomization.yaml excepted.
	files []string
}

// decodeStrict decodes YAML into out and fails on unknown or duplicate
// fields.
func decodeStrict(data []byte, out any) error {
	return yaml.UnmarshalStrict(data, out)
}

// loadManifests reads and strictly decodes every manifest in kubernetesDir.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	var m manifests
	data, err := os.ReadFile(filepath.Join(kubernetesDir, "kustomization.yaml"))
	if err != nil {
		t.Fatalf("read kustomization: %v", err)
	}
	if err := decodeStrict(data, &m.kustomization); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}

	paths, err := filepath.Glob(filepath.Join(kubernetesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		name := filepath.Base(path)
		if name == "kustomization.yaml" {
			continue
		}
		m.files = append(m.files, name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if err := m.decode(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if m.deployment == nil || m.configMap == nil || m.secret == nil || m.service == nil || m.budget == nil {
		t.Fatalf("missing manifests: deployment %v, config map %v, secret %v, service %v, disruption budget %v",
			m.deployment != nil, m.configMap != nil, m.secret != nil, m.service != nil, m.budget != nil)
	}
	return m
}

// decode decodes one manifest into the type its apiVersion and kind name.
func (m *manifests) decode(data []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return err
	}
	switch head.APIVersion + " " + head.Kind {
	case "apps/v1 Deployment":
		m.deployment = new(appsv1.Deployment)
		return decodeStrict(data, m.deployment)
	case "v1 ConfigMap":
		m.configMap = new(corev1.ConfigMap)
		return decodeStrict(data, m.configMap)
	case "v1 Secret":
		m.secret = new(corev1.Secret)
		return decodeStrict(data, m.secret)
	case "v1 Service":
		m.service = new(corev1.Service)
		return decodeStrict(data, m.service)
	case "policy/v1 PodDisruptionBudget":
		m.budget = new(policyv1.PodDisruptionBudget)
		return decodeStrict(data, m.budget)
	}
	return fmt.Errorf("unexpected apiVersion and kind %q %q: add them to the test's decoder", head.APIVersion, head.Kind)
}

// settingNames returns the environment variables the bot reads: the
// envconfig tags of config.Settings.
func settingNames(t *testing.T) map[string]reflect.StructField {
	t.Helper()
	names := map[string]reflect.StructField{}
	settings := reflect.TypeFor[config.Settings]()
	for i := range settings.NumField() {
		field := settings.Field(i)
		if name := field.Tag.Get("envconfig"); name != "" {
			names[name] = field
		}
	}
	if len(names) < 10 {
		t.Fatalf("found %d envconfig tags on config.Settings, want the bot's settings", len(names))
	}
	return names
}

// container returns the bot's container of the Deployment.
func (m *manifests) container(t *testing.T) corev1.Container {
	t.Helper()
	containers := m.deployment.Spec.Template.Spec.Containers
	if len(containers) != 1 {
		t.Fatalf("deployment has %d containers, want 1", len(containers))
	}
	return containers[0]
}

// setting returns the value a setting gets in the ConfigMap, or its default
// from config.Settings when the ConfigMap leaves it out.
func (m *manifests) setting(t *testing.T, name string) string {
	t.Helper()
	if value, ok := m.configMap.Data[name]; ok {
		return value
	}
	field, ok := settingNames(t)[name]
	if !ok {
		t.Fatalf("%s is not a setting", name)
	}
	return field.Tag.Get("default")
}

func TestDecodeRejectsUnknownField(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
	}{
		{"misspelt container field", `
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: bot
          imagePullPolicy: Always
          livenesProbe: {}
`},
		{"field at the wrong level", `
apiVersion: v1
kind: Service
spec:
  port: 8080
`},
		{"duplicate field", `
apiVersion: v1
kind: ConfigMap
data:
  LOG_LEVEL: info
data:
  LOG_LEVEL: debug
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m manifests
			if err := m.decode([]byte(tt.manifest)); err == nil {
				t.Errorf("decode succeeded, want an error for:\n%s", tt.manifest)
			}
		})
	}
}

func TestKustomizationResources(t *testing.T) {
	m := loadManifests(t)
	if m.kustomization.Kind != "Kustomization" || m.kustomization.APIVersion != "kustomize.config.k8s.io/v1beta1" {
		t.Errorf("kustomization is %s %s, want kustomize.config.k8s.io/v1beta1 Kustomization",
			m.kustomization.APIVersion, m.kustomization.Kind)
	}
	for _, resource := range m.kustomization.Resources {
		if !slices.Contains(m.files, resource) {
			t.Errorf("kustomization lists %s, which is not in %s", resource, kubernetesDir)
		}
	}
	for _, file := range m.files {
		listed := slices.Contains(m.kustomization.Resources, file)
		if file == secretTemplate && listed {
			t.Errorf("kustomization lists the Secret template %s; applying it would overwrite the real Secret", file)
		}
		if file != secretTemplate && !listed {
			t.Errorf("kustomization does not list %s", file)
		}
	}
	image := m.container(t).Image
	found := false
	for _, entry := range m.kustomization.Images {
		found = found || entry.Name == image
	}
	if !found {
		t.Errorf("kustomization images do not set the container image %q", image)
	}
}

func TestEnvironmentIsSettings(t *testing.T) {
	m := loadManifests(t)
	settings := settingNames(t)
	container := m.container(t)

	// Every variable the manifests set: env entries, and the keys of the
	// ConfigMaps and Secrets that envFrom imports.
	set := map[string]string{}
	for _, env := range container.Env {
		set[env.Name] = "env of the container"
	}
	for _, from := range container.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			if from.ConfigMapRef.Name != m.configMap.Name {
				t.Errorf("envFrom names ConfigMap %q, want %q", from.ConfigMapRef.Name, m.configMap.Name)
			}
			for key := range m.configMap.Data {
				set[key] = "ConfigMap " + m.configMap.Name
			}
		case from.SecretRef != nil:
			if from.SecretRef.Name != m.secret.Name {
				t.Errorf("envFrom names Secret %q, want %q", from.SecretRef.Name, m.secret.Name)
			}
			for key := range m.secret.StringData {
				set[key] = "Secret " + m.secret.Name
			}
		}
	}
	if len(set) == 0 {
		t.Fatal("the manifests set no environment variable")
	}
	for name, source := range set {
		if _, ok := settings[name]; !ok {
			t.Errorf("%s (from %s) is not a setting the bot reads", name, source)
		}
	}

	// The secrets come from the Secret, under keys that its template has.
	for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "PAPERSPACE_API_KEY", "DATABASE_URL"} {
		t.Run(name, func(t *testing.T) {
			if _, ok := m.configMap.Data[name]; ok {
				t.Errorf("%s is in the ConfigMap, want it in the Secret only", name)
			}
			var ref *corev1.SecretKeySelector
			for _, env := range container.Env {
				if env.Name == name && env.ValueFrom != nil {
					ref = env.ValueFrom.SecretKeyRef
				}
			}
			if ref == nil {
				t.Fatalf("%s is not read from a Secret", name)
			}
			if ref.Name != m.secret.Name {
				t.Errorf("%s comes from Secret %q, want %q", name, ref.Name, m.secret.Name)
			}
			if _, ok := m.secret.StringData[ref.Key]; !ok {
				t.Errorf("%s names key %q, which the Secret template lacks", name, ref.Key)
			}
		})
	}
}

func TestSecretTemplateHasPlaceholders(t *testing.T) {
	m := loadManifests(t)
	if len(m.secret.Data) != 0 {
		t.Errorf("Secret template has data %v, want only stringData placeholders", m.secret.Data)
	}
	for key, value := range m.secret.StringData {
		if !strings.Contains(value, "REPLACE-ME") {
			t.Errorf("Secret template %s = %q, want a REPLACE-ME placeholder", key, value)
		}
	}
	if url := m.secret.StringData["DATABASE_URL"]; !strings.HasPrefix(url, "postgres://") {
		t.Errorf("Secret template DATABASE_URL = %q, want a postgres:// URL: replicas share PostgreSQL", url)
	}
}

func TestDeploymentSpec(t *testing.T) {
	m := loadManifests(t)
	spec := m.deployment.Spec
	pod := spec.Template.Spec
	container := m.container(t)

	if spec.Replicas == nil || *spec.Replicas != 2 {
		t.Errorf("replicas = %v, want 2", spec.Replicas)
	}
	if got := m.setting(t, "REPLICAS"); spec.Replicas != nil && got != intString(*spec.Replicas) {
		t.Errorf("REPLICAS = %q, want the deployment's replicas %d", got, *spec.Replicas)
	}
	if surge := spec.Strategy.RollingUpdate; surge == nil || surge.MaxSurge == nil || surge.MaxSurge.IntValue() != 0 {
		t.Errorf("rolling update maxSurge = %v, want 0 so that no more than REPLICAS bots run", spec.Strategy.RollingUpdate)
	}
	if !reflect.DeepEqual(spec.Selector.MatchLabels, spec.Template.Labels) {
		t.Errorf("selector %v does not match the pod labels %v", spec.Selector.MatchLabels, spec.Template.Labels)
	}

	// terminationGracePeriodSeconds must cover the shutdown wait and a
	// create in flight.
	shutdown, err := time.ParseDuration(m.setting(t, "SHUTDOWN_TIMEOUT"))
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT: %v", err)
	}
	create, err := time.ParseDuration(m.setting(t, "PAPERSPACE_CREATE_TIMEOUT"))
	if err != nil {
		t.Fatalf("PAPERSPACE_CREATE_TIMEOUT: %v", err)
	}
	if pod.TerminationGracePeriodSeconds == nil {
		t.Errorf("terminationGracePeriodSeconds is not set")
	} else if grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second; grace <= shutdown+create {
		t.Errorf("terminationGracePeriodSeconds = %s, want more than SHUTDOWN_TIMEOUT %s + PAPERSPACE_CREATE_TIMEOUT %s", grace, shutdown, create)
	}

	// Probes on the port HTTP_ADDR listens on.
	port := containerPort(t, container, "http")
	if addr := m.setting(t, "HTTP_ADDR"); !strings.HasSuffix(addr, ":"+intString(port)) {
		t.Errorf("HTTP_ADDR = %q, want it on the container port %d", addr, port)
	}
	probes := []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"liveness", container.LivenessProbe, "/healthz"},
		{"readiness", container.ReadinessProbe, "/readyz"},
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			if p.probe == nil || p.probe.HTTPGet == nil {
				t.Fatalf("%s probe is not an HTTP GET", p.name)
			}
			if p.probe.HTTPGet.Path != p.path {
				t.Errorf("%s probe path = %q, want %q", p.name, p.probe.HTTPGet.Path, p.path)
			}
			if p.probe.HTTPGet.Port != intstr.FromString("http") {
				t.Errorf("%s probe port = %v, want the named port http", p.name, p.probe.HTTPGet.Port)
			}
			// The probe must not time out before the readiness checks do.
			if timeout := time.Duration(p.probe.TimeoutSeconds) * time.Second; timeout <= metrics.DefaultCheckTimeout {
				t.Errorf("%s probe timeoutSeconds = %s, want more than the readiness check timeout %s", p.name, timeout, metrics.DefaultCheckTimeout)
			}
		})
	}

	for _, resource := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := container.Resources.Requests[resource]; !ok {
			t.Errorf("no %s request", resource)
		}
		if _, ok := container.Resources.Limits[resource]; !ok {
			t.Errorf("no %s limit", resource)
		}
	}
}

func TestDeploymentSecurity(t *testing.T) {
	m := loadManifests(t)
	pod := m.deployment.Spec.Template.Spec
	container := m.container(t)

	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("pod runAsNonRoot is not true")
	}
	if pod.SecurityContext != nil && (pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == 0) {
		t.Errorf("pod runAsUser = %v, want a non-root uid", pod.SecurityContext.RunAsUser)
	}
	sc := container.SecurityContext
	if sc == nil {
		t.Fatal("container has no securityContext")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, corev1.Capability("ALL")) {
		t.Errorf("capabilities do not drop ALL")
	}
}

func TestServiceAndBudgetSelectPods(t *testing.T) {
	m := loadManifests(t)
	podLabels := m.deployment.Spec.Template.Labels
	container := m.container(t)

	for key, value := range m.service.Spec.Selector {
		if podLabels[key] != value {
			t.Errorf("service selector %s=%s does not match the pod labels %v", key, value, podLabels)
		}
	}
	if len(m.service.Spec.Ports) != 1 {
		t.Fatalf("service has %d ports, want 1", len(m.service.Spec.Ports))
	}
	target := m.service.Spec.Ports[0].TargetPort
	if target.Type != intstr.String || containerPort(t, container, target.StrVal) == 0 {
		t.Errorf("service targetPort %v is not a named port of the container", target)
	}
	if m.service.Annotations["prometheus.io/path"] != "/metrics" {
		t.Errorf("service prometheus.io/path = %q, want /metrics", m.service.Annotations["prometheus.io/path"])
	}

	for key, value := range m.budget.Spec.Selector.MatchLabels {
		if podLabels[key] != value {
			t.Errorf("disruption budget selector %s=%s does not match the pod labels %v", key, value, podLabels)
		}
	}
}

// containerPort returns the number of the container's port named name.
func containerPort(t *testing.T, container corev1.Container, name string) int32 {
	t.Helper()
	for _, port := range container.Ports {
		if port.Name == name {
			return port.ContainerPort
		}
	}
	t.Errorf("container has no port named %q", name)
	return 0
}

func intString(n int32) string {
	return strconv.Itoa(int(n))
}
