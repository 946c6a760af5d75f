// Package validate holds the checks of the deployment files in deploy/
// that a schema cannot express. The tests check that every NFL_SYNC_*
// variable is one that cmd/nflsync reads, that the Compose node names are
// the targets of deploy/prometheus/prometheus.yml, and that mounted files
// exist. They also check that probes and ports match the listener
// addresses and that selectors match the pod labels. They read the files
// and need no container engine or cluster.
//
// check.sh beside this file runs the schema validators (Kubernetes,
// compose-spec, Dockerfile rules); `make deploy-check` runs both.
package validate
