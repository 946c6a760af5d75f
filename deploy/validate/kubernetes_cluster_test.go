package validate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// kubernetesProviderVerbs are the verbs on pods that protoactor's Kubernetes
// provider uses: get its own pod, patch its labels and watch the pods with
// the cluster's label (TestKubernetesProviderMembership in
// adapters/membership records them against a fake API server).
var kubernetesProviderVerbs = []string{"get", "patch", "watch"}

// checkClusterSettings checks that the StatefulSet's pods form one cluster:
// an odd replica count, a headless governing Service, remote bound on the
// pod IP at the remote container port, and the settings of the provider
// that NFL_SYNC_CLUSTER_PROVIDER names.
func checkClusterSettings(objects kubernetesObjects, statefulSet map[string]any, settings map[string]any) []error {
	var problems []error
	add := func(format string, arguments ...any) {
		problems = append(problems, fmt.Errorf(format, arguments...))
	}

	if lookupString(settings, "NFL_SYNC_CLUSTER_NAME") == "" {
		add("ConfigMap: NFL_SYNC_CLUSTER_NAME is empty, so the pods would not form a cluster")
	}
	if !strings.HasPrefix(lookupString(settings, "NFL_SYNC_MONGO_URI"), "mongodb://") {
		add("ConfigMap: NFL_SYNC_MONGO_URI %q is not a mongodb:// URI, which a cluster needs", lookupString(settings, "NFL_SYNC_MONGO_URI"))
	}
	replicas, _ := lookup(statefulSet, "spec", "replicas").(int)
	if replicas < 3 || replicas%2 == 0 {
		add("StatefulSet: replicas %v, want an odd count of at least 3 so that a majority survives one lost pod", lookup(statefulSet, "spec", "replicas"))
	}

	serviceName := lookupString(statefulSet, "spec", "serviceName")
	if service := objects["Service/"+serviceName]; service == nil || lookupString(service, "spec", "clusterIP") != "None" {
		add("StatefulSet: serviceName %q is not a headless Service of deploy/k8s", serviceName)
	}

	containers := lookupList(statefulSet, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		return problems
	}
	containerPorts := make(map[string]string)
	for _, port := range lookupList(containers[0], "ports") {
		containerPorts[lookupString(port, "name")] = fmt.Sprint(lookup(port, "containerPort"))
	}
	var bindAddr string
	for _, variable := range lookupList(containers[0], "env") {
		if lookupString(variable, "name") == "NFL_SYNC_CLUSTER_BIND_ADDR" {
			bindAddr = lookupString(variable, "value")
		}
	}
	if !strings.HasPrefix(bindAddr, "$(POD_IP):") {
		add("StatefulSet: NFL_SYNC_CLUSTER_BIND_ADDR %q, want $(POD_IP):PORT, an address the other pods reach", bindAddr)
	}
	if port := portOf(bindAddr); port != containerPorts["remote"] {
		add("StatefulSet: NFL_SYNC_CLUSTER_BIND_ADDR port %q differs from containerPort remote %q", port, containerPorts["remote"])
	}

	switch provider := lookupString(settings, "NFL_SYNC_CLUSTER_PROVIDER"); provider {
	case "", "automanaged":
		problems = append(problems, checkAutomanagedSettings(statefulSet, settings, replicas, containerPorts)...)
	case "kubernetes":
		problems = append(problems, checkKubernetesProviderSettings(objects, statefulSet, settings, replicas)...)
	default:
		add("ConfigMap: NFL_SYNC_CLUSTER_PROVIDER %q, want automanaged or kubernetes", provider)
	}
	return problems
}

// checkAutomanagedSettings checks the automanaged provider's settings: one
// peer per pod by its DNS name under the headless Service, the discovery
// port of the settings on the container, and pods started in parallel.
func checkAutomanagedSettings(statefulSet map[string]any, settings map[string]any, replicas int, containerPorts map[string]string) []error {
	var problems []error
	add := func(format string, arguments ...any) {
		problems = append(problems, fmt.Errorf(format, arguments...))
	}

	if policy := lookupString(statefulSet, "spec", "podManagementPolicy"); policy != "Parallel" {
		add("StatefulSet: podManagementPolicy %q, want Parallel: with OrderedReady and the automanaged provider no pod becomes ready without a majority", policy)
	}
	serviceName := lookupString(statefulSet, "spec", "serviceName")
	providerPort := lookupString(settings, "NFL_SYNC_CLUSTER_PROVIDER_PORT")
	var wantPeers []string
	for i := range replicas {
		wantPeers = append(wantPeers, fmt.Sprintf("%s-%d.%s:%s", lookupString(statefulSet, "metadata", "name"), i, serviceName, providerPort))
	}
	if peers := lookupString(settings, "NFL_SYNC_CLUSTER_PEERS"); peers != strings.Join(wantPeers, ",") {
		add("ConfigMap: NFL_SYNC_CLUSTER_PEERS %q, want one peer per replica: %s", peers, strings.Join(wantPeers, ","))
	}
	if providerPort != containerPorts["discovery"] {
		add("ConfigMap: NFL_SYNC_CLUSTER_PROVIDER_PORT %q differs from containerPort discovery %q", providerPort, containerPorts["discovery"])
	}
	return problems
}

// checkKubernetesProviderSettings checks the kubernetes provider's settings.
// NFL_SYNC_CLUSTER_SIZE must equal the replica count, and the automanaged
// provider's variables must be absent, because the server rejects them. The
// pods mount a service account token whose Role grants the provider's verbs
// on pods and nothing more.
func checkKubernetesProviderSettings(objects kubernetesObjects, statefulSet map[string]any, settings map[string]any, replicas int) []error {
	var problems []error
	add := func(format string, arguments ...any) {
		problems = append(problems, fmt.Errorf(format, arguments...))
	}

	if size := lookupString(settings, "NFL_SYNC_CLUSTER_SIZE"); size != strconv.Itoa(replicas) {
		add("ConfigMap: NFL_SYNC_CLUSTER_SIZE %q, want the StatefulSet's replica count %d", size, replicas)
	}
	for _, variable := range []string{"NFL_SYNC_CLUSTER_PEERS", "NFL_SYNC_CLUSTER_PROVIDER_PORT"} {
		if _, set := settings[variable]; set {
			add("ConfigMap: %s is set, which the server rejects with NFL_SYNC_CLUSTER_PROVIDER=kubernetes", variable)
		}
	}

	pod := lookupMap(statefulSet, "spec", "template", "spec")
	accountName := lookupString(pod, "serviceAccountName")
	account := objects["ServiceAccount/"+accountName]
	if account == nil {
		add("StatefulSet: serviceAccountName %q is not a ServiceAccount of deploy/k8s", accountName)
	}
	podMounts, podSet := lookup(pod, "automountServiceAccountToken").(bool)
	accountMounts, accountSet := lookup(account, "automountServiceAccountToken").(bool)
	if (podSet && !podMounts) || (!podSet && accountSet && !accountMounts) {
		add("StatefulSet: the service account token is not mounted, but the kubernetes provider needs it")
	}

	var granted []string
	for key, object := range objects {
		if lookupString(object, "kind") != "RoleBinding" || !bindsServiceAccount(object, accountName) {
			continue
		}
		if lookupString(object, "roleRef", "kind") != "Role" {
			add("%s: roleRef kind %q, want a Role of the pods' namespace", key, lookupString(object, "roleRef", "kind"))
			continue
		}
		role := objects["Role/"+lookupString(object, "roleRef", "name")]
		if role == nil {
			add("%s: roleRef names no Role of deploy/k8s", key)
			continue
		}
		verbs, extra := podVerbs(role)
		granted = append(granted, verbs...)
		for _, grant := range extra {
			add("Role/%s grants %s, which the kubernetes provider does not use", lookupString(role, "metadata", "name"), grant)
		}
	}
	for _, verb := range kubernetesProviderVerbs {
		if !slices.Contains(granted, verb) {
			add("no Role bound to ServiceAccount %q grants %q on pods, which the kubernetes provider needs", accountName, verb)
		}
	}
	return problems
}

// bindsServiceAccount reports whether a RoleBinding has the ServiceAccount
// name of its own namespace among its subjects.
func bindsServiceAccount(binding map[string]any, name string) bool {
	for _, subject := range lookupList(binding, "subjects") {
		if lookupString(subject, "kind") == "ServiceAccount" && lookupString(subject, "name") == name &&
			lookupString(subject, "namespace") == "" {
			return true
		}
	}
	return false
}

// podVerbs returns the provider's verbs that a Role grants on pods of the
// core API group, and each other grant as "VERB on GROUP/RESOURCE".
func podVerbs(role map[string]any) (verbs []string, extra []string) {
	for _, rule := range lookupList(role, "rules") {
		for _, group := range lookupList(rule, "apiGroups") {
			for _, resource := range lookupList(rule, "resources") {
				for _, verb := range lookupList(rule, "verbs") {
					name := fmt.Sprint(verb)
					if group == "" && resource == "pods" && slices.Contains(kubernetesProviderVerbs, name) {
						verbs = append(verbs, name)
						continue
					}
					extra = append(extra, fmt.Sprintf("%s on %v/%v", name, group, resource))
				}
			}
		}
	}
	return verbs, extra
}

// automanagedEdits turn deploy/k8s into a cluster with the automanaged
// provider: a peer list and a discovery port in place of the kubernetes
// provider's settings.
var automanagedEdits = []manifestEdit{
	{"configmap.yaml", "  NFL_SYNC_CLUSTER_PROVIDER: kubernetes\n  NFL_SYNC_CLUSTER_SIZE: \"3\"\n",
		"  NFL_SYNC_CLUSTER_PROVIDER_PORT: \"6330\"\n" +
			"  NFL_SYNC_CLUSTER_PEERS: nflsync-0.nflsync-members:6330,nflsync-1.nflsync-members:6330,nflsync-2.nflsync-members:6330\n"},
	{"statefulset.yaml", "            - name: remote\n              containerPort: 6331",
		"            - name: discovery\n              containerPort: 6330\n            - name: remote\n              containerPort: 6331"},
}

func TestKubernetesAutomanagedSettings(t *testing.T) {
	files := editManifests(t, readKubernetesFiles(t), automanagedEdits...)
	imageUser := dockerfileUser(string(readFile(t, "deploy/Dockerfile")))

	reportProblems(t, checkKubernetes(decodeKubernetes(t, files), imageUser))

	expectKubernetesRejected(t, files, imageUser, map[string]manifestEdit{
		"ordered start":  {"statefulset.yaml", "podManagementPolicy: Parallel", "podManagementPolicy: OrderedReady"},
		"missing peer":   {"configmap.yaml", ",nflsync-2.nflsync-members:6330", ""},
		"discovery port": {"configmap.yaml", `NFL_SYNC_CLUSTER_PROVIDER_PORT: "6330"`, `NFL_SYNC_CLUSTER_PROVIDER_PORT: "7946"`},
	})
}
