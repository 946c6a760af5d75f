package membership

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// fakeKubernetes is a Kubernetes API server on 127.0.0.1 that serves the
// requests protoactor's Kubernetes provider makes: get a pod, JSON-patch its
// labels, and watch the pods that match a label selector. It serves every
// namespace alike, because the provider leaves the namespace empty
// when it finds no service account file. Every other request gets 404 and is
// recorded as unexpected.
type fakeKubernetes struct {
	server *httptest.Server
	closed chan struct{}

	mu       sync.Mutex
	pods     map[string]*corev1.Pod // by name
	watchers map[*podWatcher]bool
	verbs    map[string]int // RBAC verb of each served request
	patches  []labels.Set   // the labels each patch set
	selector []string       // label selector of each watch
	unknown  []string       // method and path of unexpected requests
}

type podWatcher struct {
	selector labels.Selector
	events   chan watchEvent
	done     chan struct{}
}

// watchEvent is one line of a watch response, as metav1.WatchEvent encodes
// it with the object inline.
type watchEvent struct {
	Type   watch.EventType `json:"type"`
	Object *corev1.Pod     `json:"object"`
}

func newFakeKubernetes(t *testing.T) *fakeKubernetes {
	t.Helper()
	fake := &fakeKubernetes{
		closed:   make(chan struct{}),
		pods:     make(map[string]*corev1.Pod),
		watchers: make(map[*podWatcher]bool),
		verbs:    make(map[string]int),
	}

	mux := http.NewServeMux()
	for _, prefix := range []string{"/api/v1", "/api/v1/namespaces/{namespace}"} {
		mux.HandleFunc("GET "+prefix+"/pods/{name}", fake.getPod)
		mux.HandleFunc("PATCH "+prefix+"/pods/{name}", fake.patchPod)
		mux.HandleFunc("GET "+prefix+"/pods", fake.watchPods)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fake.mu.Lock()
		fake.unknown = append(fake.unknown, r.Method+" "+r.URL.Path)
		fake.mu.Unlock()
		http.NotFound(w, r)
	})

	fake.server = httptest.NewServer(mux)
	t.Cleanup(fake.close)
	return fake
}

// close ends the open watches, then stops the server.
func (f *fakeKubernetes) close() {
	select {
	case <-f.closed:
	default:
		close(f.closed)
	}
	f.server.Close()
}

// runningPod returns a pod that the provider counts as a member once it
// carries the cluster labels: Running, with an IP, every container ready.
func runningPod(name string, uid types.UID, podLabels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "nflsync", UID: uid, Labels: podLabels},
		Status: corev1.PodStatus{
			Phase:             corev1.PodRunning,
			PodIP:             "127.0.0.1",
			PodIPs:            []corev1.PodIP{{IP: "127.0.0.1"}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "nflsync", Ready: true}},
		},
	}
}

// putPod adds or replaces a pod and sends the change to the watches.
func (f *fakeKubernetes) putPod(pod *corev1.Pod) {
	f.mu.Lock()
	defer f.mu.Unlock()

	old := f.pods[pod.Name]
	f.pods[pod.Name] = pod
	f.notify(old, pod)
}

// deletePod removes a pod and sends the deletion to the watches.
func (f *fakeKubernetes) deletePod(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()

	old := f.pods[name]
	delete(f.pods, name)
	f.notify(old, nil)
}

// notify sends each watch the event that a real API server sends for a
// change from old to updated (nil when absent): a pod that starts to match
// the selector is ADDED and one that stops matching is DELETED. The caller
// holds f.mu.
func (f *fakeKubernetes) notify(old, updated *corev1.Pod) {
	for watcher := range f.watchers {
		matchedBefore := old != nil && watcher.selector.Matches(labels.Set(old.Labels))
		matchesNow := updated != nil && watcher.selector.Matches(labels.Set(updated.Labels))

		var event watchEvent
		switch {
		case matchedBefore && matchesNow:
			event = watchEvent{Type: watch.Modified, Object: updated}
		case matchesNow:
			event = watchEvent{Type: watch.Added, Object: updated}
		case matchedBefore:
			event = watchEvent{Type: watch.Deleted, Object: old}
		default:
			continue
		}
		select {
		case watcher.events <- event:
		case <-watcher.done:
		}
	}
}

func (f *fakeKubernetes) getPod(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.verbs["get"]++
	pod := f.pods[r.PathValue("name")]
	f.mu.Unlock()

	if pod == nil {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, pod)
}

// patchPod applies the one JSON patch the provider sends, a replace of
// /metadata/labels.
func (f *fakeKubernetes) patchPod(w http.ResponseWriter, r *http.Request) {
	var patch []struct {
		Op    string            `json:"op"`
		Path  string            `json:"path"`
		Value map[string]string `json:"value"`
	}
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &patch)
	}
	if err != nil || r.Header.Get("Content-Type") != "application/json-patch+json" ||
		len(patch) != 1 || patch[0].Op != "replace" || patch[0].Path != "/metadata/labels" {
		http.Error(w, "the fake API server takes one JSON patch that replaces /metadata/labels, got "+string(body),
			http.StatusUnprocessableEntity)
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()

	f.verbs["patch"]++
	old := f.pods[r.PathValue("name")]
	if old == nil {
		http.NotFound(w, r)
		return
	}
	updated := old.DeepCopy()
	updated.Labels = maps.Clone(patch[0].Value)
	f.pods[updated.Name] = updated
	f.patches = append(f.patches, labels.Set(maps.Clone(patch[0].Value)))
	f.notify(old, updated)
	writeJSON(w, updated)
}

// watchPods streams an ADDED event for every matching pod, then every
// change, until the client or the fake closes. A list without watch=true is
// not served, because the provider never lists.
func (f *fakeKubernetes) watchPods(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("watch") != "true" {
		f.mu.Lock()
		f.unknown = append(f.unknown, "list "+r.URL.String())
		f.mu.Unlock()
		http.Error(w, "the fake API server only watches pods", http.StatusNotFound)
		return
	}
	selector, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	watcher := &podWatcher{selector: selector, events: make(chan watchEvent, 16), done: make(chan struct{})}
	defer f.stopWatch(watcher)
	defer close(watcher.done)

	f.mu.Lock()
	f.verbs["watch"]++
	f.selector = append(f.selector, selector.String())
	var existing []watchEvent
	for _, name := range slices.Sorted(maps.Keys(f.pods)) {
		if pod := f.pods[name]; selector.Matches(labels.Set(pod.Labels)) {
			existing = append(existing, watchEvent{Type: watch.Added, Object: pod})
		}
	}
	f.watchers[watcher] = true
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	encoder := json.NewEncoder(w)
	flusher := w.(http.Flusher)
	for _, event := range existing {
		_ = encoder.Encode(event)
	}
	flusher.Flush()

	for {
		select {
		case event := <-watcher.events:
			_ = encoder.Encode(event)
			flusher.Flush()
		case <-r.Context().Done():
			return
		case <-f.closed:
			return
		}
	}
}

func (f *fakeKubernetes) stopWatch(watcher *podWatcher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.watchers, watcher)
}

// lastPatch returns the labels of the newest patch, or nil before the first.
func (f *fakeKubernetes) lastPatch() labels.Set {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.patches) == 0 {
		return nil
	}
	return f.patches[len(f.patches)-1]
}

// requests returns how often each RBAC verb was served, the label selector
// of each watch and the unexpected requests.
func (f *fakeKubernetes) requests() (verbs map[string]int, selectors, unknown []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.verbs), slices.Clone(f.selector), slices.Clone(f.unknown)
}

func writeJSON(w http.ResponseWriter, value any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(value)
}
