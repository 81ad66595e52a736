#!/usr/bin/env bash
# Creates the `orderflow` kind cluster and what the chart expects around it: ingress-nginx (the
# entry point on 127.0.0.1:80), metrics-server (for the HorizontalPodAutoscalers) and NATS with
# JetStream. Idempotent: re-running it upgrades the add-ons. Then: `skaffold dev -p kind`.
set -euo pipefail
cd "$(dirname "$0")"

CLUSTER=orderflow
CONTEXT="kind-${CLUSTER}"
# Pinned versions: a newer kind/Kubernetes/add-on is an explicit change here.
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.33.1}"
INGRESS_NGINX_VERSION=controller-v1.13.0
METRICS_SERVER_CHART_VERSION=3.12.2
NATS_CHART_VERSION=1.3.7

for tool in kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "kind/up.sh: $tool is not installed" >&2; exit 1; }
done

if kind get clusters | grep -qx "$CLUSTER"; then
  echo "kind cluster $CLUSTER exists"
else
  kind create cluster --config cluster.yaml --image "$KIND_NODE_IMAGE" --wait 120s
fi
kubectl config use-context "$CONTEXT" >/dev/null

echo "ingress-nginx ${INGRESS_NGINX_VERSION}"
kubectl apply -f "https://raw.githubusercontent.com/kubernetes/ingress-nginx/${INGRESS_NGINX_VERSION}/deploy/static/provider/kind/deploy.yaml"

helm repo add metrics-server https://kubernetes-sigs.github.io/metrics-server/ --force-update >/dev/null
helm repo add nats https://nats-io.github.io/k8s/helm/charts/ --force-update >/dev/null

echo "metrics-server ${METRICS_SERVER_CHART_VERSION}"
# kind's kubelets serve self-signed certificates.
helm upgrade --install metrics-server metrics-server/metrics-server \
  --version "$METRICS_SERVER_CHART_VERSION" --namespace kube-system \
  --set 'args={--kubelet-insecure-tls}' --wait

echo "nats ${NATS_CHART_VERSION}"
helm upgrade --install nats nats/nats --version "$NATS_CHART_VERSION" \
  --namespace nats --create-namespace -f nats-values.yaml --wait

kubectl wait --namespace ingress-nginx --for=condition=ready pod \
  --selector=app.kubernetes.io/component=controller --timeout=180s

cat <<MSG

kind cluster "$CLUSTER" is ready (context $CONTEXT).
  skaffold dev -p kind          # build every image, deploy the chart, forward the API ports
  make kind-down                # delete the cluster
MSG
