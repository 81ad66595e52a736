#!/usr/bin/env bash
# Deletes the `orderflow` kind cluster and everything in it.
set -euo pipefail
CLUSTER=orderflow
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  kind delete cluster --name "$CLUSTER"
else
  echo "no kind cluster named $CLUSTER"
fi
