#!/usr/bin/env bash
# Build a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) from the Go module proxy into a cache folder outside the repository.
#
# Usage: tests/controlplane/build.sh [--print-dir]
#   Prints the folder holding the four binaries on its last line of stdout.
#   A second run with the binaries present does nothing (the folder is keyed by version).
# Exit codes: 0 built or reused; 3 no Go toolchain; 4 the build failed (network, proxy, disk).
#
# Environment:
#   KT_CONTROLPLANE_CACHE  root of the cache (default ${XDG_CACHE_HOME:-~/.cache}/kube-tutor/controlplane)
#   KT_BUILD_JOBS          go build -p (default 2: the machines have 2 cores shared with others)
#   GO                     the go command (default: `go` on PATH, else /usr/local/go/bin/go)
set -euo pipefail

KUBERNETES_VERSION=1.37.2
# Kubernetes v1.37.2's go.mod requires go.etcd.io/etcd/{api,client,server}/v3 v3.7.0;
# the newest patch of that minor line is the server it is tested with upstream.
ETCD_VERSION=3.7.3

cache_root=${KT_CONTROLPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-tutor/controlplane}
out="$cache_root/v$KUBERNETES_VERSION"
bin="$out/bin"
stamp="$bin/BUILT"
want="kubernetes=v$KUBERNETES_VERSION etcd=v$ETCD_VERSION flags=2"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler; do
    [ -x "$bin/$b" ] || { rm -f "$stamp"; break; }
  done
  if [ -f "$stamp" ]; then
    echo "control plane binaries reused" >&2
    echo "$bin"
    exit 0
  fi
fi

go_cmd=${GO:-}
if [ -z "$go_cmd" ]; then
  if command -v go >/dev/null 2>&1; then go_cmd=$(command -v go)
  elif [ -x /usr/local/go/bin/go ]; then go_cmd=/usr/local/go/bin/go
  else echo "no Go toolchain found (need Go >= 1.26 for Kubernetes v$KUBERNETES_VERSION)" >&2; exit 3
  fi
fi

# A self-contained module and build cache beside the binaries: measurable, and removable
# with one `rm -rf` without touching the developer's own Go caches.
export GOMODCACHE="$cache_root/go/mod" GOCACHE="$cache_root/go/build"
# Never download another toolchain: a Go too old for k8s.io/kubernetes fails with its reason.
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
jobs=${KT_BUILD_JOBS:-2}
work="$out/src"
mkdir -p "$work/k8s" "$work/etcd" "$bin.tmp"

# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with folders of
# its own repository; a consumer replaces each with the published v0.X.Y of the same release.
staging="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt
kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller streaming"
staging_version="v0.${KUBERNETES_VERSION#1.}"
{
  echo "module kube-tutor.local/controlplane"
  echo
  echo "go 1.26.0"
  echo
  echo "require k8s.io/kubernetes v$KUBERNETES_VERSION"
  echo
  echo "replace ("
  for m in $staging; do echo "	k8s.io/$m => k8s.io/$m $staging_version"; done
  echo ")"
} > "$work/k8s/go.mod"
cat > "$work/k8s/tools.go" <<'GO'
//go:build tools

// Package tools pins the commands this module builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO

# etcd's own main package lives in its root module, which is not published; etcdmain.Main is
# the whole of that main, so a three-line main builds the same server.
cat > "$work/etcd/go.mod" <<GOMOD
module kube-tutor.local/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
GOMOD
cat > "$work/etcd/main.go" <<'GO'
// Command etcd is etcd's server, built from go.etcd.io/etcd/server/v3.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO

build() {
  # nice: the build shares two cores with the rest of the machine.
  local ldflags=$1
  shift
  nice -n 15 "$go_cmd" build -p "$jobs" -trimpath -ldflags="-s -w $ldflags" "$@"
}

# What `/version` and `--version` report; without it a module build says v0.0.0-master.
v=k8s.io/component-base/version
minor=${KUBERNETES_VERSION#1.}
minor=${minor%%.*}
version_flags="-X $v.gitVersion=v$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor"
version_flags="$version_flags -X $v.gitTreeState=clean"

start=$(date +%s)
echo "building Kubernetes v$KUBERNETES_VERSION and etcd v$ETCD_VERSION into $bin (a cold build takes a while)" >&2
if ! (cd "$work/etcd" && "$go_cmd" mod tidy >&2 && build "" -o "$bin.tmp/etcd" . >&2); then
  echo "building etcd failed (see above)" >&2; exit 4
fi
if ! (cd "$work/k8s" && "$go_cmd" mod tidy >&2 &&
      build "$version_flags" -o "$bin.tmp/" k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler >&2); then
  echo "building the Kubernetes components failed (see above)" >&2; exit 4
fi
echo "$want" > "$bin.tmp/BUILT"
rm -rf "$bin"
mv "$bin.tmp" "$bin"
echo "built in $(( $(date +%s) - start )) s" >&2
echo "$bin"
