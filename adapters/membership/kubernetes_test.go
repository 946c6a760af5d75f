package membership

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/k8s"
	"k8s.io/client-go/rest"

	"github.com/nflsync/nflsync/actors"
)

// waitFor reads values until one equals want and fails the test after 30 s.
func waitFor[T comparable](t *testing.T, values <-chan T, want T, what string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	var seen []T
	for {
		select {
		case value := <-values:
			if value == want {
				return
			}
			seen = append(seen, value)
		case <-deadline:
			t.Fatalf("%s: no %v within 30s, got %v", what, want, seen)
		}
	}
}

// TestKubernetesProviderMembership starts one member with protoactor's
// Kubernetes provider against a fake API server. The provider names its pod
// by the host name, so the fake serves a pod of that name. A second pod with
// the cluster labels plays another replica. Several real members need
// several processes, because two in one process share a protoactor global.
func TestKubernetesProviderMembership(t *testing.T) {
	podName, err := os.Hostname()
	if err != nil {
		t.Fatalf("host name: %v", err)
	}
	api := newFakeKubernetes(t)
	api.putPod(runningPod(podName, "self-uid", map[string]string{"app.kubernetes.io/name": "nflsync"}))

	remotePort := freePort(t)
	members := make(chan int, 16)
	leadership := make(chan bool, 4)
	system := actor.NewActorSystem()
	node, err := Start(system, Config{
		Name:       "membership-test",
		Provider:   ProviderKubernetes,
		BindAddr:   "127.0.0.1:" + strconv.Itoa(remotePort),
		Size:       1,
		Kubernetes: &rest.Config{Host: api.server.URL},
		Hub:        actors.NewHub(),
		Kinds:      map[string]*actor.Props{"player": actor.PropsFromFunc(func(actor.Context) {})},

		OnTopology:   func(count int, _ bool) { members <- count },
		OnLeadership: func(leading bool) { leadership <- leading },

		// The provider's member id is not the actor system's id, so the
		// gossip actor takes this member for another and sends it gossip.
		// Receiving it reads MemberList.members without the lock that
		// the provider's topology updates hold (protoactor-go
		// cluster/member_list.go, ContainsMemberID), which the race
		// detector reports. nflsync does not use gossip, so the test
		// sends none.
		clusterOptions: []cluster.ConfigOption{func(c *cluster.Config) { c.GossipInterval = time.Hour }},
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			node.Stop()
		}
	}()

	waitFor(t, members, 1, "members after the pod was labeled")
	waitFor(t, leadership, true, "the only member polls")

	registered := api.lastPatch()
	for key, want := range map[string]string{
		k8s.LabelCluster:          "membership-test",
		k8s.LabelPort:             strconv.Itoa(remotePort),
		k8s.LabelKind + "-player": "true",
		"app.kubernetes.io/name":  "nflsync",
	} {
		if got := registered[key]; got != want {
			t.Errorf("pod label %s = %q, want %q", key, got, want)
		}
	}
	memberID := registered[k8s.LabelMemberID]
	if memberID == "" {
		t.Errorf("pod label %s is empty", k8s.LabelMemberID)
	}

	// Another replica whose member id sorts first: the count is 2, and that
	// replica polls.
	peerPort := freePort(t)
	api.putPod(runningPod("nflsync-peer", "peer-uid", map[string]string{
		k8s.LabelCluster:  "membership-test",
		k8s.LabelPort:     strconv.Itoa(peerPort),
		k8s.LabelMemberID: "0",
	}))
	waitFor(t, members, 2, "members after a second pod was labeled")
	waitFor(t, leadership, false, "polling moves to the lower member id")

	api.deletePod("nflsync-peer")
	waitFor(t, members, 1, "members after the second pod was deleted")
	waitFor(t, leadership, true, "polling after the second pod was deleted")

	node.Leave()
	if node.Leading() {
		t.Error("a member that left still polls")
	}
	deregistered := api.lastPatch()
	if _, ok := deregistered[k8s.LabelCluster]; ok {
		t.Errorf("after Leave the pod labels %v still have %s", deregistered, k8s.LabelCluster)
	}
	if deregistered["app.kubernetes.io/name"] != "nflsync" {
		t.Errorf("after Leave the pod labels %v lost app.kubernetes.io/name", deregistered)
	}

	// The node's own pod drops out of its topology once the labels are
	// gone, which must not read as a lost majority.
	node.Stop()
	stopped = true
	select {
	case count := <-members:
		t.Errorf("OnTopology(%d) after Leave", count)
	default:
	}

	// The Role in deploy/k8s/rbac.yaml grants exactly these verbs on pods.
	verbs, selectors, unknown := api.requests()
	for verb := range verbs {
		if verb != "get" && verb != "patch" && verb != "watch" {
			t.Errorf("the provider used verb %q on pods, which the Role does not grant", verb)
		}
	}
	if len(unknown) > 0 {
		t.Errorf("unexpected API requests: %v", unknown)
	}
	if want := k8s.LabelCluster + "=membership-test"; len(selectors) == 0 || selectors[0] != want {
		t.Errorf("watch selectors %v, want %s", selectors, want)
	}
}

func TestStartKubernetesNeedsSize(t *testing.T) {
	_, err := Start(actor.NewActorSystem(), Config{
		Name:       "x",
		Provider:   ProviderKubernetes,
		BindAddr:   "127.0.0.1:1",
		Kubernetes: &rest.Config{Host: "http://127.0.0.1:1"},
		Hub:        actors.NewHub(),
	})
	if err == nil {
		t.Error("Start with the kubernetes provider and no size: no error")
	}
}
