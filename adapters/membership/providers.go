package membership

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/automanaged"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/k8s"
	"github.com/labstack/echo/v4"
	"k8s.io/client-go/rest"
)

// The cluster providers that Config.Provider names.
const (
	// ProviderAutomanaged finds members by polling the HTTP endpoint of
	// every peer in Config.Peers. It needs no external service.
	ProviderAutomanaged = "automanaged"

	// ProviderKubernetes finds members through the Kubernetes API server:
	// every member labels its own pod and watches the pods with the
	// cluster's label.
	ProviderKubernetes = "kubernetes"
)

// serviceAccountNamespaceFile is the file of the pod's namespace, mounted with
// the service account token. protoactor's Kubernetes provider reads it and
// has no option to set the namespace.
const serviceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// discovery is the cluster provider of one node with what Start and Leave
// do with it.
type discovery struct {
	provider cluster.ClusterProvider

	// bind runs once the cluster exists, before the member starts.
	bind func(member *cluster.Cluster)

	// leave makes the other members drop this node from their topology.
	leave func()

	// logAttributes describe the provider in the start log.
	logAttributes []any
}

// newAutomanaged builds protoactor's automanaged provider. The provider's own
// server would bind 0.0.0.0, so it gets an echo server whose listener is
// already bound to host.
func newAutomanaged(config Config, host string, remotePort int) (*discovery, error) {
	providerAddr := net.JoinHostPort(host, strconv.Itoa(config.ProviderPort))
	listener, err := net.Listen("tcp", providerAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for cluster members on %s: %w", providerAddr, err)
	}
	server := echo.New()
	server.HideBanner = true
	server.HidePort = true
	server.Listener = listener

	provider := automanaged.NewWithTesting(RefreshInterval, config.ProviderPort, server, config.Peers...)
	return &discovery{
		provider: provider,
		bind: func(member *cluster.Cluster) {
			server.GET("/_health", func(c echo.Context) error {
				node := automanaged.NewNode(config.Name, member.ActorSystem.ID, host, remotePort, config.ProviderPort, member.GetClusterKinds())
				return c.JSON(http.StatusOK, node)
			})
		},
		leave:         func() { _ = server.Close() },
		logAttributes: []any{"provider", ProviderAutomanaged, "provider_addr", providerAddr, "peers", config.Peers},
	}, nil
}

// newKubernetes builds protoactor's Kubernetes provider, which talks to the
// API server of config.Kubernetes, or to the one of the pod when that is nil.
//
// The provider names the pod by os.Hostname, which Kubernetes sets to the pod
// name, and reads the namespace from serviceAccountNamespaceFile. It labels the
// pod with the cluster name, the remote port and its member id, and it
// counts a labeled pod as a member only while the pod is Running and every
// container of it is ready.
func newKubernetes(config Config, logger *slog.Logger) (*discovery, error) {
	api := config.Kubernetes
	if api == nil {
		namespace, err := os.ReadFile(serviceAccountNamespaceFile)
		if err != nil {
			return nil, fmt.Errorf("read the pod's namespace for the kubernetes provider (mount the service account token): %w", err)
		}
		if api, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("load the in-cluster Kubernetes API config: %w", err)
		}
		logger.Info("kubernetes cluster provider uses the pod's service account", "namespace", string(namespace))
	}

	provider, err := k8s.NewWithConfig(api)
	if err != nil {
		return nil, fmt.Errorf("create the Kubernetes cluster provider for %s: %w", api.Host, err)
	}

	// Shutdown removes the pod's cluster labels, so the other members see
	// the pod leave, and stops the watch. cluster.Shutdown calls it again,
	// which the provider ignores.
	var once sync.Once
	leave := func() {
		once.Do(func() {
			if err := provider.Shutdown(true); err != nil {
				logger.Error("kubernetes cluster provider shutdown failed", "error", err)
			}
		})
	}
	return &discovery{
		provider:      provider,
		bind:          func(*cluster.Cluster) {},
		leave:         leave,
		logAttributes: []any{"provider", ProviderKubernetes, "api_server", api.Host},
	}, nil
}
