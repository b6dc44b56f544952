#!/usr/bin/env bash
# Debian packages the tests' real servers need: the Docker engine (docker.io),
# the Distribution registry (docker-registry) with htpasswd (apache2-utils),
# skopeo to push test images, a DNS server (dnsmasq-base), busybox-static for
# a tiny local image, openssl for the test PKI. Installing them starts nothing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  docker.io docker-registry apache2-utils skopeo openssl curl \
  busybox-static dnsmasq-base git >/dev/null
