package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// kubernetesObjects maps "Kind/name" to each object of deploy/k8s.
type kubernetesObjects map[string]map[string]any

func decodeKubernetes(t *testing.T, files map[string][]byte) kubernetesObjects {
	t.Helper()
	objects := make(kubernetesObjects)
	for file, data := range files {
		documents, err := decodeYAMLDocuments(data)
		if err != nil {
			t.Fatalf("decode %s: %v", file, err)
		}
		for _, document := range documents {
			key := lookupString(document, "kind") + "/" + lookupString(document, "metadata", "name")
			if _, duplicate := objects[key]; duplicate {
				t.Fatalf("%s: %s is defined twice", file, key)
			}
			objects[key] = document
		}
	}
	return objects
}

func readKubernetesFiles(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "deploy/k8s/*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("list deploy/k8s/*.yaml: %d files, %v", len(paths), err)
	}
	files := make(map[string][]byte)
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		files[filepath.Base(path)] = data
	}
	return files
}

// selects reports whether every label of selector is on labels.
func selects(selector, labels map[string]any) bool {
	if len(selector) == 0 {
		return false
	}
	for key, value := range selector {
		if labels[key] != value {
			return false
		}
	}
	return true
}

// checkKubernetes checks the objects of deploy/k8s beyond the Kubernetes
// schemas and returns the violations.
func checkKubernetes(objects kubernetesObjects, imageUser string) []error {
	var problems []error
	add := func(format string, arguments ...any) {
		problems = append(problems, fmt.Errorf(format, arguments...))
	}

	deployment := objects["StatefulSet/nflsync"]
	configMap := objects["ConfigMap/nflsync"]
	if deployment == nil || configMap == nil {
		return []error{fmt.Errorf("deploy/k8s needs StatefulSet/nflsync and ConfigMap/nflsync, found %v", sortedObjectKeys(objects))}
	}

	problems = append(problems, checkClusterSettings(objects, deployment, lookupMap(configMap, "data"))...)
	podLabels := lookupMap(deployment, "spec", "template", "metadata", "labels")
	if !selects(lookupMap(deployment, "spec", "selector", "matchLabels"), podLabels) {
		add("StatefulSet: selector does not match the pod labels %v", podLabels)
	}

	pod := lookupMap(deployment, "spec", "template", "spec")
	if lookup(pod, "securityContext", "runAsNonRoot") != true {
		add("StatefulSet: pod securityContext.runAsNonRoot is not true")
	}
	if user := fmt.Sprint(lookup(pod, "securityContext", "runAsUser")); user != imageUser {
		add("StatefulSet: runAsUser %s, but the image's USER is %s", user, imageUser)
	}

	containers := lookupList(pod, "containers")
	if len(containers) != 1 {
		return append(problems, fmt.Errorf("StatefulSet: %d containers, want 1", len(containers)))
	}
	container := containers[0]
	problems = append(problems, checkImageTag("StatefulSet", lookupString(container, "image"))...)
	if lookup(container, "securityContext", "readOnlyRootFilesystem") != true {
		add("StatefulSet: container securityContext.readOnlyRootFilesystem is not true")
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if got := lookupString(container, probe, "httpGet", "path"); got != path {
			add("StatefulSet: %s path %q, want %s", probe, got, path)
		}
		if port := lookupString(container, probe, "httpGet", "port"); port != "http" {
			add("StatefulSet: %s port %q, want the named port http", probe, port)
		}
	}
	if lookupMap(container, "resources", "requests") == nil {
		add("StatefulSet: container has no resource requests")
	}

	// Named container ports must be the ports the listeners bind.
	containerPorts := make(map[string]string)
	for _, port := range lookupList(container, "ports") {
		containerPorts[lookupString(port, "name")] = fmt.Sprint(lookup(port, "containerPort"))
	}
	settings := lookupMap(configMap, "data")
	listeners := map[string]string{"http": "NFL_SYNC_LISTEN_ADDR", "metrics": "NFL_SYNC_METRICS_ADDR"}
	for portName, variable := range listeners {
		address := lookupString(settings, variable)
		if !strings.HasPrefix(address, "0.0.0.0:") {
			add("ConfigMap: %s %q must bind every interface (0.0.0.0:PORT) inside a pod", variable, address)
		}
		if portOf(address) != containerPorts[portName] {
			add("ConfigMap: %s port %q differs from containerPort %s %q", variable, portOf(address), portName, containerPorts[portName])
		}
	}

	var configMapReferenced bool
	for _, source := range lookupList(container, "envFrom") {
		if lookupString(source, "configMapRef", "name") == "nflsync" {
			configMapReferenced = true
		}
	}
	if !configMapReferenced {
		add("StatefulSet: envFrom does not reference ConfigMap nflsync")
	}

	volumes := make(map[string]bool)
	for _, volume := range lookupList(pod, "volumes") {
		volumes[lookupString(volume, "name")] = true
	}
	mounts := make(map[string]string)
	for _, mount := range lookupList(container, "volumeMounts") {
		name := lookupString(mount, "name")
		mounts[lookupString(mount, "mountPath")] = name
		if !volumes[name] {
			add("StatefulSet: volumeMount %s names no volume", name)
		}
	}
	if dataDir := lookupString(settings, "NFL_SYNC_DATA_DIR"); mounts[dataDir] == "" {
		add("StatefulSet: NFL_SYNC_DATA_DIR %q is not a mounted volume, but the root filesystem is read-only", dataDir)
	}

	var headless bool
	for key, object := range objects {
		switch lookupString(object, "kind") {
		case "Service":
			if !selects(lookupMap(object, "spec", "selector"), podLabels) {
				add("%s: selector does not match the pod labels %v", key, podLabels)
			}
			for _, port := range lookupList(object, "spec", "ports") {
				if target := lookupString(port, "targetPort"); containerPorts[target] == "" {
					add("%s: targetPort %q is not a named container port", key, target)
				}
			}
			if lookupString(object, "spec", "clusterIP") == "None" {
				headless = true
			}
		case "PodDisruptionBudget":
			if !selects(lookupMap(object, "spec", "selector", "matchLabels"), podLabels) {
				add("%s: selector does not match the pod labels %v", key, podLabels)
			}
		}
	}
	if objects["Service/nflsync"] == nil || !headless {
		add("deploy/k8s needs Service/nflsync and a headless Service (clusterIP: None)")
	}
	if objects["PodDisruptionBudget/nflsync"] == nil {
		add("deploy/k8s needs PodDisruptionBudget/nflsync")
	}
	return problems
}

func sortedObjectKeys(objects kubernetesObjects) []string {
	keys := make([]string, 0, len(objects))
	for key := range objects {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

func TestKubernetesManifests(t *testing.T) {
	objects := decodeKubernetes(t, readKubernetesFiles(t))
	imageUser := dockerfileUser(string(readFile(t, "deploy/Dockerfile")))

	reportProblems(t, checkKubernetes(objects, imageUser))
}

func TestKubernetesRejectsBrokenFiles(t *testing.T) {
	files := readKubernetesFiles(t)
	imageUser := dockerfileUser(string(readFile(t, "deploy/Dockerfile")))
	cases := map[string]manifestEdit{
		"even replicas":       {"statefulset.yaml", "replicas: 3", "replicas: 4"},
		"loopback cluster":    {"statefulset.yaml", "value: $(POD_IP):6331", "value: 127.0.0.1:6331"},
		"unknown provider":    {"configmap.yaml", "NFL_SYNC_CLUSTER_PROVIDER: kubernetes", "NFL_SYNC_CLUSTER_PROVIDER: consul"},
		"size not replicas":   {"configmap.yaml", `NFL_SYNC_CLUSTER_SIZE: "3"`, `NFL_SYNC_CLUSTER_SIZE: "5"`},
		"peers with k8s":      {"configmap.yaml", `NFL_SYNC_CLUSTER_SIZE: "3"`, "NFL_SYNC_CLUSTER_SIZE: \"3\"\n  NFL_SYNC_CLUSTER_PEERS: nflsync-0.nflsync-members:6330"},
		"default account":     {"statefulset.yaml", "serviceAccountName: nflsync", "serviceAccountName: default"},
		"token not mounted":   {"statefulset.yaml", "automountServiceAccountToken: true", "automountServiceAccountToken: false"},
		"role without watch":  {"rbac.yaml", `verbs: ["get", "watch", "patch"]`, `verbs: ["get", "patch"]`},
		"role grants list":    {"rbac.yaml", `verbs: ["get", "watch", "patch"]`, `verbs: ["get", "watch", "patch", "list"]`},
		"role on secrets":     {"rbac.yaml", `resources: ["pods"]`, `resources: ["pods", "secrets"]`},
		"binding elsewhere":   {"rbac.yaml", "  - kind: ServiceAccount\n    name: nflsync", "  - kind: ServiceAccount\n    name: default"},
		"readiness on health": {"statefulset.yaml", "path: /readyz", "path: /healthz"},
		"loopback listener":   {"configmap.yaml", "NFL_SYNC_LISTEN_ADDR: 0.0.0.0:8080", "NFL_SYNC_LISTEN_ADDR: 127.0.0.1:8080"},
		"metrics port":        {"configmap.yaml", "NFL_SYNC_METRICS_ADDR: 0.0.0.0:9090", "NFL_SYNC_METRICS_ADDR: 0.0.0.0:9100"},
		"writable root":       {"statefulset.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"},
		"service selector":    {"service.yaml", "  selector:\n    app.kubernetes.io/name: nflsync\n  ports:\n    # WebSocket", "  selector:\n    app.kubernetes.io/name: nflsync-web\n  ports:\n    # WebSocket"},
		"unmounted data dir":  {"statefulset.yaml", "mountPath: /data", "mountPath: /var/data"},
		"latest image":        {"statefulset.yaml", "image: nflsync:local", "image: nflsync:latest"},
	}
	expectKubernetesRejected(t, files, imageUser, cases)
}

// manifestEdit replaces old with new in one file of deploy/k8s.
type manifestEdit struct{ file, old, new string }

// editManifests returns files with each edit applied, and fails the test when
// a file lacks the text that an edit replaces.
func editManifests(t *testing.T, files map[string][]byte, edits ...manifestEdit) map[string][]byte {
	t.Helper()
	edited := make(map[string][]byte, len(files))
	for file, data := range files {
		edited[file] = data
	}
	for _, edit := range edits {
		original := string(edited[edit.file])
		if !strings.Contains(original, edit.old) {
			t.Fatalf("deploy/k8s/%s lacks %q; update this case", edit.file, edit.old)
		}
		edited[edit.file] = []byte(strings.ReplaceAll(original, edit.old, edit.new))
	}
	return edited
}

// expectKubernetesRejected checks that checkKubernetes finds a problem in
// files after each of the edits.
func expectKubernetesRejected(t *testing.T, files map[string][]byte, imageUser string, cases map[string]manifestEdit) {
	t.Helper()
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			broken := editManifests(t, files, edit)

			problems := checkKubernetes(decodeKubernetes(t, broken), imageUser)

			if len(problems) == 0 {
				t.Errorf("checkKubernetes passed deploy/k8s with %q replaced by %q in %s", edit.old, edit.new, edit.file)
			}
		})
	}
}
