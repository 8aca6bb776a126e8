# scripts/lib.sh - what scripts/test, scripts/demo and scripts/bench share.
# Sourced, not run.

YGG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
YGG_BUILD=${YGG_BUILD:-$YGG_ROOT/build}
YGG_JOBS=$(nproc 2>/dev/null || echo 2)

say() { printf '%s\n' "$*" >&2; }

# The Debian packages the build needs, and a command whose presence shows each.
YGG_PACKAGES=(
  "gcc:gcc" "make:make" "cmake:cmake" "pkg-config:pkg-config"
  "libevent-dev:pkgconf:libevent" "libcurl4-openssl-dev:pkgconf:libcurl"
  "libjson-c-dev:pkgconf:json-c" "libinih-dev:pkgconf:inih" "check:pkgconf:check"
  "libsystemd-dev:pkgconf:libsystemd"
)

# ygg_install PKG... : install with apt-get when root, else say exactly what is needed.
ygg_install() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "scripts: installing $*"
    if [ -z "${YGG_APT_UPDATED:-}" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
      YGG_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
  else
    say "scripts: missing packages; run as root: apt-get install $*"
    return 1
  fi
}

# ygg_need_deps: every package of YGG_PACKAGES present, installing what is not.
ygg_need_deps() {
  local missing=() entry pkg kind what
  for entry in "${YGG_PACKAGES[@]}"; do
    IFS=: read -r pkg kind what <<<"$entry"
    if [ "$kind" = pkgconf ]; then
      command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$what" && continue
    else
      command -v "$kind" >/dev/null 2>&1 && continue
    fi
    missing+=("$pkg")
  done
  ygg_install "${missing[@]}"
}

# ygg_configure DIR [cmake args...]: configure DIR, starting afresh when it was made
# by another checkout or another generator.
ygg_configure() {
  local dir=$1; shift
  if [ -f "$dir/CMakeCache.txt" ]; then
    local home
    home=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$dir/CMakeCache.txt")
    if [ "$home" != "$YGG_ROOT" ]; then
      say "scripts: $dir was configured for $home; starting it afresh"
      rm -rf "$dir"
    fi
  fi
  if ! cmake -S "$YGG_ROOT" -B "$dir" "$@" >"$dir.configure.log" 2>&1; then
    say "scripts: configure failed in $dir; retrying from an empty folder"
    rm -rf "$dir"
    cmake -S "$YGG_ROOT" -B "$dir" "$@" || { cat "$dir.configure.log" >&2; return 1; }
  fi
  rm -f "$dir.configure.log"
}

# ygg_build [DIR]: configure and build (the default build folder unless DIR).
ygg_build() {
  local dir=${1:-$YGG_BUILD}; shift || true
  mkdir -p "$(dirname "$dir")"
  ygg_configure "$dir" "$@"
  cmake --build "$dir" -j "$YGG_JOBS"
}
