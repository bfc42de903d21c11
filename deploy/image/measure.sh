#!/usr/bin/env bash
# Measures the container image without a Docker engine or a registry: builds the image's binary
# (`dist` profile, `bundled` feature) on this machine, assembles a `FROM scratch` image around it
# with buildah (nothing is pulled), and prints the binary's and the image's sizes.
#
#   deploy/image/measure.sh            # build, assemble, print
#   WARAS_BIN=path/to/waras deploy/image/measure.sh   # assemble around an existing binary
#
# The Dockerfile builds a static musl binary on distroless/static (about 2 MB of base). Where no
# musl target is installed, this builds for the host's glibc and copies the shared libraries the
# binary loads into the image, so the figure is an upper bound of the Dockerfile's image.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v buildah >/dev/null || { echo "buildah is not installed (Debian: apt-get install buildah)" >&2; exit 1; }

bin="${WARAS_BIN:-}"
if [ -z "$bin" ]; then
    if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
        cargo build --profile dist --locked --target x86_64-unknown-linux-musl --features bundled --bin waras
        bin=target/x86_64-unknown-linux-musl/dist/waras
    else
        cargo build --profile dist --locked --features bundled --bin waras
        bin=target/dist/waras
    fi
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"; [ -n "${ctr:-}" ] && buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
install -D -m 0755 "$bin" "$root/usr/local/bin/waras"
install -d -m 0700 "$root/data"
# Whatever the binary loads at run time (nothing for a static build).
if ldd "$bin" >/dev/null 2>&1; then
    for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
        install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
    done
fi

ctr="$(buildah from scratch)"
buildah copy --quiet "$ctr" "$root" / >/dev/null
buildah config \
    --entrypoint '["/usr/local/bin/waras"]' --cmd serve \
    --env WARAS_LISTEN=0.0.0.0:8080 --env WARAS_DATA_DIR=/data \
    --workingdir /data --user 65532:65532 --port 8080 --volume /data "$ctr"
image="$(buildah commit --quiet "$ctr" localhost/waras:measure)"

bin_bytes="$(stat -c %s "$bin")"
image_bytes="$(buildah inspect --type image --format '{{.ImageSize}}' "$image" 2>/dev/null || true)"
if [ -z "$image_bytes" ] || [ "$image_bytes" = "<no value>" ]; then
    image_bytes="$(du -sb "$root" | cut -f1)"
fi
printf 'binary %s: %s bytes (%.1f MB)\n' "$bin" "$bin_bytes" "$(echo "$bin_bytes / 1000000" | bc -l)"
printf 'image localhost/waras:measure (FROM scratch): %s bytes (%.1f MB)\n' "$image_bytes" "$(echo "$image_bytes / 1000000" | bc -l)"
